import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { Service } from 'kubernetes-models/v1/Service';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { CronJob } from 'kubernetes-models/batch/v1/CronJob';
import { type KubeObject, type KubeSource, kubernetesObjects, portOf } from '../../../src/export/kubernetes-manifest.js';
import { DNS_LABEL, kubernetesName, kubernetesNames } from '../../../src/export/kubernetes-names.js';
import { exportKubernetes, sourcesFromConfig, toYaml } from '../../../src/export/kubernetes.js';
import { dockerfileText } from '../../../src/export/kubernetes-dockerfile.js';
import { cronJobSchedule } from '../../../src/export/kubernetes-schedule.js';
import { loadConfig } from '../../../src/config/load-config.js';
import { FIXTURES } from '../../helpers/bgrun.js';
import { kubeSource } from '../../helpers/kubernetes.js';

const GOLDEN = path.join(FIXTURES, 'kubernetes');

/** Every object against the Kubernetes OpenAPI schemas (kubernetes-models), and names as the API server checks them. */
function validate(objects: KubeObject[]): void {
  for (const object of objects) {
    const Model = { Deployment, Service, Job, CronJob }[object.kind as 'Deployment' | 'Service' | 'Job' | 'CronJob'];
    if (!Model) throw new Error(`no schema for ${object.kind}`);
    new Model(object as never).validate();
    const name = String(object.metadata.name);
    if (!DNS_LABEL.test(name) || name.length > (object.kind === 'CronJob' ? 52 : 63)) throw new Error(`bad name ${name}`);
  }
}

const base: KubeSource = kubeSource({ name: 'web', command: ['/usr/bin/node', '/srv/app/server.js', '--verbose'], cwd: '/srv/app' });

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
  'health-checked': [
    // http health after a tcp readiness: livenessProbe httpGet held back by a startupProbe.
    { ...base, name: 'api', restart: 'always', ready: 'tcp:3000', readyTimeoutMs: 20_000, health: 'http://127.0.0.1:3000/healthz', healthIntervalMs: 15_000, healthTimeoutMs: 2_000, healthRetries: 5 },
    // tcp health alone: its port makes the Service; defaults 10s/5s/3.
    { ...base, name: 'cache', command: ['/usr/bin/redis-server', '--port', '6379'], restart: 'always', health: 'tcp:6379' },
    // cmd: → exec; log: has no probe.
    { ...base, name: 'worker', restart: 'always', health: 'cmd:./check.sh --quick', healthRetries: 1 },
    { ...base, name: 'beat', restart: 'always', health: 'log:/tick/' },
  ],
  scheduled: [
    // bgrun's nightly task: --cron-restart alone (supervised with on-failure, started on the schedule).
    { ...base, name: 'nightly', command: ['/usr/bin/node', '/srv/app/report.js'], restart: 'on-failure', cronRestart: '0 3 * * *', namespace: 'reports' },
    // Two copies bgrun saw finish, retried on failure, seconds in the schedule: an Indexed Job every 5 minutes.
    { ...base, name: 'sync', restart: 'on-failure', maxRestarts: 2, cronRestart: '30 */5 * * * *', instances: 2, finished: true },
  ],
  'scheduled-server': [{ ...base, restart: 'always', ready: 'tcp:8080', cronRestart: '@daily' }],
  'stop-settings': [
    {
      ...base,
      restart: 'always',
      killTimeoutMs: 45_000,
      stopSignal: 'SIGINT',
      watch: ['/srv/app'],
      stopExitCodes: [0, 3],
      restartDelayMs: 2_000,
      onExit: 'curl -fsS https://example.com/hook',
    },
  ],
  'depends-on': [
    { ...base, name: 'db', command: ['/usr/bin/postgres', '-D', '/srv/app/data'], restart: 'always', ready: 'tcp:5432' },
    { ...base, name: 'api', restart: 'always', ready: 'tcp:3000', dependsOn: ['db', 'cache'] },
  ],
};

for (const [name, sources] of Object.entries(cases)) {
  test(`golden ${name}: valid against the schemas, same as test/fixtures/kubernetes/${name}.yaml`, async (t) => {
    const names = kubernetesNames(sources.map((s) => s.name));
    const ports = new Map(sources.flatMap((s) => (portOf(s) === null ? [] : [[s.name, portOf(s)!] as const])));
    const exports = sources.map((s) => kubernetesObjects(s, { image: 'registry.example/app:1', namespace: 'shop', names, ports, timeZone: 'Europe/Berlin' }));
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

test('golden config: a config file with dependsOn, health, a schedule, a stop signal and an env file, through sourcesFromConfig', async (t) => {
  const file = path.join(GOLDEN, 'config', 'bgrun.config.json');
  const config = await loadConfig({ config: file });
  const sources = sourcesFromConfig({ env: process.env } as never, config!.apps);
  const names = kubernetesNames(sources.map((s) => s.name));
  const ports = new Map(sources.flatMap((s) => (portOf(s) === null ? [] : [[s.name, portOf(s)!] as const])));
  const exports = sources.map((s) => kubernetesObjects(s, { image: 'registry.example/shop:2', names, ports, timeZone: 'UTC' }));
  const objects = exports.flatMap((e) => e.objects);
  t.notThrows(() => validate(objects));
  t.deepEqual(
    exports.map((e) => e.kind),
    ['Deployment', 'Deployment', 'CronJob'],
  );
  t.deepEqual(exports[1]!.secrets.map((s) => path.basename(s.file)), ['app.env']);
  const yaml = await toYaml(objects, '# golden: config');
  t.false(yaml.includes('placeholder'), 'env file values stay out');
  const golden = path.join(GOLDEN, 'config.yaml');
  if (process.env.UPDATE_GOLDEN === '1') fs.writeFileSync(golden, yaml);
  t.is(yaml, fs.readFileSync(golden, 'utf8'));
});

test('kinds with a schedule: a program meant to finish is a CronJob, a server stays a Deployment with the schedule as a remark', (t) => {
  const names = kubernetesNames(['a']);
  const opts = { image: 'i', names, ports: new Map() };
  const kind = (s: Partial<KubeSource>, o = {}) => kubernetesObjects({ ...base, name: 'a', ...s }, { ...opts, ...o }).kind;
  t.is(kind({ restart: 'on-failure', cronRestart: '0 3 * * *' }), 'CronJob', 'a nightly task');
  t.is(kind({ restart: 'on-failure', maxRestarts: 2, cronRestart: '0 3 * * *' }), 'CronJob');
  t.is(kind({ restart: 'always', cronRestart: '0 3 * * *', finished: true }), 'Deployment', 'always: never finishes');
  t.is(kind({ restart: 'on-failure', cronRestart: '0 3 * * *', envVars: { PORT: '80' } }), 'Deployment', 'a known port: a server');
  t.is(kind({ restart: 'on-failure', cronRestart: '0 3 * * *', health: 'cmd:true' }), 'Deployment', 'health-checked: a server');
  t.is(kind({ restart: 'on-failure', cronRestart: '0 3 * * *', health: 'cmd:true', finished: true }), 'CronJob', 'seen finishing');
  t.is(kind({ restart: 'always', cronRestart: '0 3 * * *' }, { kind: 'Job' }), 'CronJob', '--job with a schedule');
  const server = kubernetesObjects({ ...base, name: 'a', restart: 'on-failure', ready: 'tcp:80', cronRestart: '0 3 * * *' }, opts);
  t.is(server.kind, 'Deployment');
  t.true(server.notCarried.some((n) => n.includes('kubectl rollout restart deployment/a')));
});

test('CronJob schedules: nicknames, a zero seconds field dropped, other seconds reported, L/W/# refused in one line', (t) => {
  t.deepEqual(cronJobSchedule('a', '@Daily'), { schedule: '@daily', lost: null });
  t.deepEqual(cronJobSchedule('a', ' 0  3 * * * '), { schedule: '0 3 * * *', lost: null });
  t.deepEqual(cronJobSchedule('a', '0 */5 * * * *'), { schedule: '*/5 * * * *', lost: null });
  t.regex(cronJobSchedule('a', '*/10 * * * * *').lost!, /seconds field '\*\/10'/);
  const error = t.throws(() => cronJobSchedule('a', '0 0 L * *'));
  t.regex(error!.message, /^'a': --cron-restart "0 0 L \* \*" uses L, W or #/);
  t.false(error!.message.includes('\n'));
});

test('CronJob schedules: day and month names are kept (their letters are not L or W), an L or W beside them still refused', (t) => {
  t.deepEqual(cronJobSchedule('a', '0 3 * * WED'), { schedule: '0 3 * * WED', lost: null });
  t.deepEqual(cronJobSchedule('a', '0 3 1 jul *'), { schedule: '0 3 1 jul *', lost: null });
  t.deepEqual(cronJobSchedule('a', '0 9 * JUN-AUG mon-fri'), { schedule: '0 9 * JUN-AUG mon-fri', lost: null });
  t.deepEqual(cronJobSchedule('a', '0 0 0 * * SAT,SUN'), { schedule: '0 0 * * SAT,SUN', lost: null });
  t.throws(() => cronJobSchedule('a', '0 0 * JUL 5L'), { message: /uses L, W or #/ });
  t.throws(() => cronJobSchedule('a', '0 0 15W * WED'), { message: /uses L, W or #/ });
  t.throws(() => cronJobSchedule('a', '0 0 * * FRI#2'), { message: /uses L, W or #/ });
});

test('a CronJob name is cut to 52 characters with the hash; its Jobs still fit 63', (t) => {
  const long = 'nightly-report-for-every-warehouse-in-the-north-region';
  t.true(long.length > 52);
  const e = kubernetesObjects({ ...base, name: long, cronRestart: '@daily' }, { image: 'i', names: kubernetesNames([long]), ports: new Map() });
  t.is(e.kind, 'CronJob');
  t.true(e.kubeName.length <= 52);
  t.regex(e.kubeName, /^nightly-report-for-every-warehouse-in-the-n.*-[0-9a-f]{5}$/);
  t.notThrows(() => validate(e.objects));
});

test('stop: terminationGracePeriodSeconds from --kill-timeout (10 s by default); a stop signal goes to the Dockerfile or is a remark', (t) => {
  const names = kubernetesNames(['a']);
  const opts = { image: 'i', names, ports: new Map() };
  const grace = (e: ReturnType<typeof kubernetesObjects>) =>
    ((e.objects[0]!.spec as { template: { spec: { terminationGracePeriodSeconds: number } } }).template.spec.terminationGracePeriodSeconds);
  t.is(grace(kubernetesObjects({ ...base, name: 'a' }, opts)), 10);
  t.is(grace(kubernetesObjects({ ...base, name: 'a', killTimeoutMs: 1_500 }, opts)), 2);
  const remark = kubernetesObjects({ ...base, name: 'a', stopSignal: 'SIGINT' }, opts);
  t.true(remark.notCarried.some((n) => n.startsWith('--stop-signal SIGINT')));
  const built = kubernetesObjects({ ...base, name: 'a', stopSignal: 'SIGINT' }, { ...opts, dockerfile: true });
  t.false(built.notCarried.some((n) => n.startsWith('--stop-signal')));
  t.true(built.notes.some((n) => n.includes('STOPSIGNAL SIGINT')));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bgrun-k8s-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const text = dockerfileText({ ...base, name: 'a', cwd: dir, stopSignal: 'SIGINT' }, '/app', 20);
  t.regex(text, /^STOPSIGNAL SIGINT$/m);
  t.notRegex(dockerfileText({ ...base, name: 'a', cwd: dir, stopSignal: 'SIGTERM' }, '/app', 20), /STOPSIGNAL/);
});

test('dependsOn a Job: no Service to wait for, so no init container, and the output says so', async (t) => {
  const migrate: KubeSource = { ...base, name: 'migrate', restart: 'on-failure', maxRestarts: 1, envVars: { PORT: '9000' } };
  const api: KubeSource = { ...base, name: 'api', restart: 'always', ready: 'tcp:3000', dependsOn: ['migrate'] };
  const result = await exportKubernetes([migrate, api], { image: 'x:1', timeZone: null });
  t.deepEqual(result.apps.map((a) => a.kind), ['Job', 'Deployment']);
  const pod = (result.apps[1]!.objects[0]!.spec as { template: { spec: Record<string, unknown> } }).template.spec;
  t.is(pod.initContainers, undefined);
  t.true(result.apps[1]!.notCarried.some((n) => n.startsWith("dependsOn 'migrate': it has no Service to wait for")));
});

test('a cmd: health check naming the app folder runs from the image working folder, and the output lists the rewrite', (t) => {
  const e = kubernetesObjects(
    { ...base, name: 'a', restart: 'always', health: 'cmd:/srv/app/bin/check --url http://localhost/' },
    { image: 'i', names: kubernetesNames(['a']), ports: new Map(), workdir: '/opt/a' },
  );
  const container = (e.objects[0]!.spec as { template: { spec: { containers: Record<string, unknown>[] } } }).template.spec.containers[0]!;
  t.deepEqual(container.livenessProbe, {
    exec: { command: ['sh', '-c', '/opt/a/bin/check --url http://localhost/'] },
    initialDelaySeconds: 10,
    periodSeconds: 10,
    timeoutSeconds: 5,
    failureThreshold: 3,
  });
  t.true(e.paths.some((p) => p.to === '/opt/a/bin/check --url http://localhost/'));
});

test('--output <file>.yaml: every app in one file (0600), Dockerfiles beside it; the timeZone defaults to this machine\'s', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bgrun-k8s-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const app = path.join(dir, 'app');
  fs.mkdirSync(app);
  const node = { ...base, cwd: app, command: ['/usr/bin/node', path.join(app, 'server.js')] };
  const sources: KubeSource[] = [
    { ...node, name: 'web', restart: 'always', envVars: { PORT: '8080' } },
    { ...node, name: 'nightly', restart: 'on-failure', cronRestart: '0 3 * * *' },
  ];
  const file = path.join(dir, 'out', 'shop.yaml');
  const result = await exportKubernetes(sources, { output: file, dockerfile: true });
  t.deepEqual(result.apps.map((a) => [a.kind, a.file, a.image]), [
    ['Deployment', file, 'web:latest'],
    ['CronJob', file, 'nightly:latest'],
  ]);
  t.is(fs.statSync(file).mode & 0o777, 0o600);
  t.is(fs.readFileSync(file, 'utf8'), result.yaml);
  t.deepEqual(result.apps.map((a) => a.dockerfile), [path.join(dir, 'out', 'web.Dockerfile'), path.join(dir, 'out', 'nightly.Dockerfile')]);
  const cron = result.apps[1]!.objects[0]!.spec as { timeZone?: string };
  t.is(cron.timeZone, Intl.DateTimeFormat().resolvedOptions().timeZone);
});
