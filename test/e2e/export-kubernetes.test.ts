import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { parseAllDocuments } from 'yaml';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { Service } from 'kubernetes-models/v1/Service';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { CronJob } from 'kubernetes-models/batch/v1/CronJob';
import { sandbox, sweepAll } from '../helpers/bgrun.js';

test.after.always(sweepAll);

test('export kubernetes of started programs: valid objects, env file values kept out, the secret command printed', async (t) => {
  const box = sandbox(t);
  const app = path.join(box.dir, 'app');
  fs.mkdirSync(app);
  fs.writeFileSync(path.join(app, 'server.js'), "require('node:http').createServer((q, s) => s.end('ok')).listen(0); setInterval(() => {}, 1000);\n");
  fs.writeFileSync(path.join(app, 'secret.env'), 'API_TOKEN=hunter2-do-not-print\n');
  const started = await box.run(['start', '--name', 'My_API', '--restart', 'always', '--env-file', 'secret.env', '--env', 'PORT=8080', 'server.js'], { cwd: app });
  t.is(started.exitCode, 0, started.stderr);
  const out = path.join(box.dir, 'k8s');
  const r = await box.run(['export', 'kubernetes', 'My_API', '--image', 'registry.example/api:1', '--output', out, '--dockerfile'], { cwd: app });
  t.is(r.exitCode, 0, r.stderr);
  t.false(`${r.stdout}${r.stderr}`.includes('hunter2'));
  t.regex(r.stdout, /kubectl create secret generic my-api-env --from-env-file=.*secret\.env/);
  t.regex(r.stdout, /not copied/);
  t.regex(r.stdout, /Logs: the container's stdout and stderr/);
  const text = fs.readFileSync(path.join(out, 'my-api.yaml'), 'utf8');
  t.false(text.includes('hunter2'));
  const docs = parseAllDocuments(text).map((d) => d.toJS());
  t.deepEqual(docs.map((d) => d.kind), ['Deployment', 'Service']);
  for (const d of docs) t.notThrows(() => new ({ Deployment, Service, Job, CronJob } as Record<string, new (v: unknown) => { validate(): void }>)[d.kind]!(d).validate());
  t.deepEqual(docs[0].spec.template.spec.containers[0].args, ['server.js']);
  t.regex(fs.readFileSync(path.join(out, 'my-api.Dockerfile'), 'utf8'), /^FROM node:\d+-slim$/m);
  // The host's node_modules would overwrite what npm ci installed: BuildKit leaves out what the ignore file beside the Dockerfile lists.
  const ignore = fs.readFileSync(path.join(out, 'my-api.Dockerfile.dockerignore'), 'utf8').split('\n');
  for (const pattern of ['**/node_modules', '.git', 'secret.env']) t.true(ignore.includes(pattern), pattern);
  t.false(fs.existsSync(path.join(app, '.dockerignore')));
  t.regex(r.stdout, /^Build: DOCKER_BUILDKIT=1 docker build -f .*my-api\.Dockerfile -t registry\.example\/api:1 /m);
});

test('export kubernetes: missing --image, an unmappable name, a systemd option: one line, exit 2', async (t) => {
  const box = sandbox(t);
  const started = await box.run(['start', '--name', '___', '--', 'sleep', '30']);
  t.is(started.exitCode, 0, started.stderr);
  const noImage = await box.run(['export', 'kubernetes', '___']);
  t.is(noImage.exitCode, 2);
  t.is(noImage.stderr.trim().split('\n').length, 1);
  t.regex(noImage.stderr, /missing --image/);
  const badName = await box.run(['export', 'kubernetes', '___', '--image', 'x']);
  t.is(badName.exitCode, 2);
  t.is(badName.stderr.trim().split('\n').length, 1);
  t.regex(badName.stderr, /no letter or digit/);
  const wrong = await box.run(['export', 'kubernetes', '___', '--image', 'x', '--user']);
  t.is(wrong.exitCode, 2);
  t.regex(wrong.stderr, /--user is not an option of export kubernetes/);
});

test('export kubernetes --config: dependsOn becomes an init container waiting for the Service', async (t) => {
  const box = sandbox(t);
  const config = path.join(box.dir, 'bgrun.config.json');
  fs.writeFileSync(path.join(box.dir, 'api.js'), '');
  fs.writeFileSync(
    config,
    JSON.stringify({
      apps: [
        { name: 'db', script: 'sleep', args: ['60'], restart: 'always', ready: 'tcp:5432' },
        { name: 'api', script: 'api.js', restart: 'always', ready: 'http://127.0.0.1:3000/health', dependsOn: ['db'] },
      ],
    }),
  );
  const r = await box.run(['export', 'kubernetes', '--config', config, '--image', 'x:1'], { cwd: box.dir });
  t.is(r.exitCode, 0, r.stderr);
  const docs = parseAllDocuments(r.stdout).map((d) => d.toJS());
  t.deepEqual(docs.map((d) => `${d.kind}/${d.metadata.name}`), ['Deployment/db', 'Service/db', 'Deployment/api', 'Service/api']);
  t.regex(docs[2].spec.template.spec.initContainers[0].command[2], /nc -z -w 2 db 5432/);
});

const MODELS = { Deployment, Service, Job, CronJob } as Record<string, new (v: unknown) => { validate(): void }>;

test('export kubernetes of supervised programs: a scheduled task as a CronJob, --health as a livenessProbe, --kill-timeout and --stop-signal', async (t) => {
  const box = sandbox(t);
  const app = path.join(box.dir, 'app');
  fs.mkdirSync(app);
  fs.writeFileSync(path.join(app, 'task.js'), 'setInterval(() => {}, 1000);\n');
  const nightly = await box.run(['start', '--name', 'nightly', '--cron-restart', '0 3 * * *', '--kill-timeout', '30s', 'task.js'], { cwd: app });
  t.is(nightly.exitCode, 0, nightly.stderr);
  const web = await box.run(
    ['start', '--name', 'web', '--restart', 'always', '--health', 'cmd:true', '--health-interval', '20s', '--health-timeout', '3s', '--health-retries', '4', '--stop-signal', 'INT', 'task.js'],
    { cwd: app },
  );
  t.is(web.exitCode, 0, web.stderr);
  const out = path.join(box.dir, 'k8s');
  const r = await box.run(['export', 'kubernetes', 'nightly', 'web', '--output', out, '--dockerfile'], { cwd: app });
  t.is(r.exitCode, 0, r.stderr);
  t.regex(r.stdout, /^nightly: CronJob$/m);
  t.regex(r.stdout, /^web: Deployment$/m);
  const cron = parseAllDocuments(fs.readFileSync(path.join(out, 'nightly.yaml'), 'utf8')).map((d) => d.toJS());
  t.deepEqual(cron.map((d) => d.kind), ['CronJob']);
  for (const d of cron) t.notThrows(() => new MODELS[d.kind]!(d).validate());
  t.is(cron[0].spec.schedule, '0 3 * * *');
  t.is(cron[0].spec.concurrencyPolicy, 'Replace');
  t.is(cron[0].spec.jobTemplate.spec.template.spec.terminationGracePeriodSeconds, 30);
  const deployment = parseAllDocuments(fs.readFileSync(path.join(out, 'web.yaml'), 'utf8')).map((d) => d.toJS());
  for (const d of deployment) t.notThrows(() => new MODELS[d.kind]!(d).validate());
  const pod = deployment[0].spec.template.spec;
  t.deepEqual(pod.containers[0].livenessProbe, {
    exec: { command: ['sh', '-c', 'true'] },
    initialDelaySeconds: 20,
    periodSeconds: 20,
    timeoutSeconds: 3,
    failureThreshold: 4,
  });
  t.is(pod.terminationGracePeriodSeconds, 10);
  // The stop signal has no field: the generated Dockerfile carries it.
  t.regex(fs.readFileSync(path.join(out, 'web.Dockerfile'), 'utf8'), /^STOPSIGNAL SIGINT$/m);
  t.notRegex(fs.readFileSync(path.join(out, 'nightly.Dockerfile'), 'utf8'), /STOPSIGNAL/);
});

test('export kubernetes: a schedule a CronJob refuses is one line, exit 2; a server restarted on a schedule is a Deployment with a warning', async (t) => {
  const box = sandbox(t);
  const config = path.join(box.dir, 'bgrun.config.json');
  fs.writeFileSync(path.join(box.dir, 'task.js'), '');
  fs.writeFileSync(config, JSON.stringify({ apps: [{ name: 'last-day', script: 'task.js', cronRestart: '0 0 L * *' }] }));
  const refused = await box.run(['export', 'kubernetes', '--config', config, '--image', 'x:1'], { cwd: box.dir });
  t.is(refused.exitCode, 2, refused.stderr);
  t.is(refused.stderr.trim().split('\n').length, 1);
  t.regex(refused.stderr, /^bgrun: 'last-day': --cron-restart "0 0 L \* \*" uses L, W or #/);
  fs.writeFileSync(config, JSON.stringify({ apps: [{ name: 'api', script: 'task.js', restart: 'always', ready: 'tcp:3000', cronRestart: '@daily' }] }));
  const server = await box.run(['export', 'kubernetes', '--config', config, '--image', 'x:1'], { cwd: box.dir });
  t.is(server.exitCode, 0, server.stderr);
  t.deepEqual(parseAllDocuments(server.stdout).map((d) => d.toJS().kind), ['Deployment', 'Service']);
  t.regex(server.stderr, /^bgrun: warning: 'api': not carried over: --cron-restart "@daily": a Deployment has no scheduled restart; run kubectl rollout restart deployment\/api/m);
});
