import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { Service } from 'kubernetes-models/v1/Service';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { type KubeObject, type KubeSource, kubernetesObjects, portOf } from '../../../src/export/kubernetes-manifest.js';
import { DNS_LABEL, kubernetesName, kubernetesNames } from '../../../src/export/kubernetes-names.js';
import { toYaml } from '../../../src/export/kubernetes.js';
import { FIXTURES } from '../../helpers/bgrun.js';

const GOLDEN = path.join(FIXTURES, 'kubernetes');

/** Every object against the Kubernetes OpenAPI schemas (kubernetes-models), and names as the API server checks them. */
function validate(objects: KubeObject[]): void {
  for (const object of objects) {
    const Model = { Deployment, Service, Job }[object.kind as 'Deployment' | 'Service' | 'Job'];
    if (!Model) throw new Error(`no schema for ${object.kind}`);
    new Model(object as never).validate();
    const name = String(object.metadata.name);
    if (!DNS_LABEL.test(name) || name.length > 63) throw new Error(`bad name ${name}`);
  }
}

const base: KubeSource = {
  name: 'web',
  command: ['/usr/bin/node', '/srv/app/server.js', '--verbose'],
  cwd: '/srv/app',
  envVars: {},
  envFiles: [],
  restart: 'no',
  maxRestarts: null,
  minUptimeMs: 10_000,
  maxMemoryBytes: null,
};

const cases: Record<string, KubeSource[]> = {
  plain: [base],
  supervised: [{ ...base, restart: 'always', envVars: { PORT: '8080', NODE_ENV: 'production' }, envFiles: ['/srv/app/.env'] }],
  instanced: [{ ...base, name: 'My_API', restart: 'always', instances: 4, cluster: true, incrementVar: 'PORT', ready: 'http://127.0.0.1:3000/health' }],
  'ready-checked': [
    { ...base, restart: 'on-failure', ready: 'tcp:3000', readyTimeoutMs: 60_000, maxMemoryBytes: 300 * 1024 ** 2, maxLogBytes: 10 * 1024 ** 2, logTime: true },
  ],
  'one-shot': [
    {
      ...base,
      name: 'nightly_report',
      command: ['/srv/app/.venv/bin/python', '/srv/app/report.py', '--since', 'yesterday'],
      restart: 'on-failure',
      maxRestarts: 3,
    },
  ],
  'log-probe': [{ ...base, name: 'worker', restart: 'always', ready: 'log:/started/' }],
  'depends-on': [
    { ...base, name: 'db', command: ['/usr/bin/postgres', '-D', '/srv/app/data'], restart: 'always', ready: 'tcp:5432' },
    { ...base, name: 'api', restart: 'always', ready: 'tcp:3000', dependsOn: ['db', 'cache'] },
  ],
};

for (const [name, sources] of Object.entries(cases)) {
  test(`golden ${name}: valid against the schemas, same as test/fixtures/kubernetes/${name}.yaml`, async (t) => {
    const names = kubernetesNames(sources.map((s) => s.name));
    const ports = new Map(sources.flatMap((s) => (portOf(s) === null ? [] : [[s.name, portOf(s)!] as const])));
    const exports = sources.map((s) => kubernetesObjects(s, { image: 'registry.example/app:1', namespace: 'shop', names, ports }));
    const objects = exports.flatMap((e) => e.objects);
    t.notThrows(() => validate(objects));
    const yaml = await toYaml(objects, `# golden: ${name}`);
    const file = path.join(GOLDEN, `${name}.yaml`);
    if (process.env.UPDATE_GOLDEN === '1') fs.writeFileSync(file, yaml);
    t.is(yaml, fs.readFileSync(file, 'utf8'));
    // Nothing dropped silently: what did not carry over is in the annotation too.
    for (const e of exports) {
      const annotations = e.objects[0]!.metadata.annotations as Record<string, string>;
      if (e.notCarried.length > 0) t.is(annotations['bgrun.dev/not-carried-over'], e.notCarried.join('\n'));
    }
  });
}

test('kinds: a Job for on-failure with max-restarts, a Deployment for a server; the one-shot Job maps retries to backoffLimit', (t) => {
  const names = kubernetesNames(['a']);
  const opts = { image: 'i', names, ports: new Map() };
  const job = kubernetesObjects({ ...base, name: 'a', restart: 'on-failure', maxRestarts: 2 }, opts);
  t.is(job.kind, 'Job');
  t.is((job.objects[0]!.spec as { backoffLimit: number }).backoffLimit, 2);
  t.is(kubernetesObjects({ ...base, name: 'a', restart: 'on-failure', maxRestarts: 2, ready: 'tcp:1' }, opts).kind, 'Deployment');
  t.is(kubernetesObjects({ ...base, name: 'a', finished: true }, opts).kind, 'Job');
  t.is(kubernetesObjects({ ...base, name: 'a', restart: 'always' }, { ...opts, kind: 'Job' }).kind, 'Job');
});

test('env file values never reach the manifest; the Secret is referenced by name', (t) => {
  const names = kubernetesNames(['a']);
  const e = kubernetesObjects({ ...base, name: 'a', envFiles: ['/srv/app/secret.env'] }, { image: 'i', names, ports: new Map() });
  t.deepEqual(e.secrets, [{ name: 'a-env', file: '/srv/app/secret.env' }]);
  t.false(JSON.stringify(e.objects).includes('secret.env'));
});

test('names: lower-cased, _ and . to -, a hash when characters were lost, collisions or too long; unmappable refused', (t) => {
  t.is(kubernetesName('My_API'), 'my-api');
  t.is(kubernetesName('web.0'), 'web-0');
  t.is(kubernetesName('9lives'), 'app-9lives');
  t.regex(kubernetesName('a__b'), /^a-b-[0-9a-f]{5}$/);
  t.regex(kubernetesName('-x-'), /^x-[0-9a-f]{5}$/);
  const long = kubernetesName('a'.repeat(64));
  t.true(long.length <= 63 && DNS_LABEL.test(long));
  const both = kubernetesNames(['my-app', 'my_app', 'My-App']);
  t.is(both.get('my-app'), 'my-app');
  t.regex(both.get('my_app')!, /^my-app-[0-9a-f]{5}$/);
  t.not(both.get('my_app'), both.get('My-App'));
  t.is(kubernetesNames(['my_app']).get('my_app'), 'my-app', 'deterministic: alone, no suffix');
  const error = t.throws(() => kubernetesName('___'));
  t.regex(error!.message, /^the name '___' has no letter or digit/);
  t.false(error!.message.includes('\n'));
});
