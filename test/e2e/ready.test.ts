import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import test from 'ava';
import { fixture, isAlive, readText, sandbox, sweepAll, waitFor } from '../helpers/bgrun.js';
import { accepts, freePort } from '../helpers/ports.js';

test.after.always(sweepAll);

const SERVER = fixture('ready-server.js');

test('tcp: start returns only once the port accepts connections', async (t) => {
  const box = sandbox(t);
  const port = await freePort();
  const began = Date.now();
  const r = await box.run(['start', '--name', 'srv', '--ready', `tcp:${port}`, SERVER], { env: { PORT: String(port), DELAY_MS: '1000' } });
  t.is(r.exitCode, 0, r.stderr);
  t.true(await accepts(port), 'listening when start returned');
  t.true(Date.now() - began >= 1000);
  const pid = box.record('srv').pid!;
  t.is(r.stdout.split('\n')[0], `started srv (pid ${pid}), ready (tcp:${port})`);
  t.is(box.record('srv').ready, `tcp:${port}`);
  t.truthy(box.record('srv').readyAt);
  const shown = JSON.parse((await box.run(['show', 'srv', '--json'])).stdout);
  t.is(shown.ready, `tcp:${port}`);
});

test('http: a 2xx answer is ready; a 503 is not, until --ready-timeout, and the program is left running', async (t) => {
  const box = sandbox(t);
  const port = await freePort();
  const ok = await box.run(['start', '--name', 'h', '--ready', `http://127.0.0.1:${port}/health`, SERVER], {
    env: { PORT: String(port), DELAY_MS: '700', HTTP_STATUS: '204' },
  });
  t.is(ok.exitCode, 0, ok.stderr);
  t.true(await accepts(port));

  // A server of the test's own that always answers 503: the reason is known whatever the load.
  const unhealthy = http.createServer((_req, res) => {
    res.writeHead(503);
    res.end();
  });
  await new Promise<void>((resolve) => unhealthy.listen(0, '127.0.0.1', resolve));
  t.teardown(() => unhealthy.close());
  const url = `http://127.0.0.1:${(unhealthy.address() as AddressInfo).port}/health`;
  const bad = await box.run(['start', '--name', 'h5', '--ready', url, '--ready-timeout', '1500ms', SERVER]);
  t.is(bad.exitCode, 1);
  const pid = box.record('h5').pid!;
  // The last probe answered 503, or (on a loaded machine) had not answered when the time was up.
  t.regex(
    bad.stderr.split('\n')[0]!,
    new RegExp(
      `^bgrun: 'h5' was not ready within 1\\.5s \\(${url.replace(/[.]/g, '\\.')}: (HTTP 503|timed out)\\); it is still running \\(pid ${pid}\\): see 'bgrun logs h5', or stop it with 'bgrun stop h5'$`,
    ),
  );
  t.true(isAlive(pid));
  t.is(box.record('h5').status, 'running');
});

test('log: a matching line written after the start; restart waits for a new one', async (t) => {
  const box = sandbox(t);
  const env = { DELAY_MS: '1000', READY_LINE: 'Server listening at http://127.0.0.1' };
  const began = Date.now();
  const r = await box.run(['start', '--name', 'lg', '--ready', 'log:/listening at/i', SERVER], { env });
  t.is(r.exitCode, 0, r.stderr);
  t.true(Date.now() - began >= 1000);
  const outLog = path.join(box.home, 'logs', 'lg.out.log');
  t.is(readText(outLog), 'Server listening at http://127.0.0.1\n');

  // The line of the first run is already in the log: restart must not take it for the new one.
  const again = Date.now();
  const restarted = await box.run(['restart', 'lg']);
  t.is(restarted.exitCode, 0, restarted.stderr);
  t.true(Date.now() - again >= 1000, 'restart waited for the new run to be ready');
  t.is(readText(outLog), 'Server listening at http://127.0.0.1\n'.repeat(2));
  t.regex(restarted.stdout, /^restarted lg \(pid \d+\), ready \(log:\/listening at\/i\)$/m);
});

test('delay: ready once it has run that long', async (t) => {
  const box = sandbox(t);
  const r = await box.run(['start', '--name', 'dl', '--ready', 'delay:1200ms', SERVER]);
  t.is(r.exitCode, 0, r.stderr);
  const record = box.record('dl') as unknown as { startedAt: string; readyAt: string; pid: number };
  t.true(Date.parse(record.readyAt) - Date.parse(record.startedAt) >= 1200);
  t.true(isAlive(record.pid));
});

test('a program that dies before it is ready fails the start with exit 1 and its stderr tail', async (t) => {
  const box = sandbox(t);
  const port = await freePort();
  // --wait 0: its death is seen by the readiness wait, not by the grace period, however loaded the machine.
  const r = await box.run(['start', '--name', 'die', '--wait', '0', '--ready', `tcp:${port}`, SERVER], {
    env: { PORT: String(port), DELAY_MS: '60000', FAIL_AFTER_MS: '2000' },
  });
  t.is(r.exitCode, 1);
  const errLog = path.join(box.home, 'logs', 'die.err.log');
  t.deepEqual(r.stderr.trimEnd().split('\n'), [
    `bgrun: 'die' exited with code 1 before it was ready (tcp:${port}); its stderr is in ${errLog}`,
    'from its stderr:',
    '  starting app',
    '  fatal: giving up',
  ]);
  const record = box.record('die');
  t.is(record.status, 'errored');
  t.is(record.exitCode, 1);
});

test('--ready-timeout expires: exit 1, the program keeps running', async (t) => {
  const box = sandbox(t);
  const port = await freePort();
  const began = Date.now();
  const r = await box.run(['start', '--name', 'slow', '--ready', `tcp:${port}`, '--ready-timeout', '1s', SERVER], {
    env: { PORT: String(port), DELAY_MS: '60000' },
  });
  t.is(r.exitCode, 1);
  t.true(Date.now() - began < 25_000);
  const pid = box.record('slow').pid!;
  t.is(
    r.stderr.split('\n')[0],
    `bgrun: 'slow' was not ready within 1s (tcp:${port}: connection refused); it is still running (pid ${pid}): see 'bgrun logs slow', or stop it with 'bgrun stop slow'`,
  );
  t.true(isAlive(pid));
  const json = await box.run(['start', '--json', '--name', 'slow2', '--ready', `tcp:${port}`, '--ready-timeout', '300ms', SERVER], {
    env: { PORT: String(port), DELAY_MS: '60000' },
  });
  t.is(json.exitCode, 1);
  t.is(JSON.parse(json.stdout).error.code, 'NOT_READY');
});

test('supervised programs are awaited too (the supervisor starts them)', async (t) => {
  const box = sandbox(t);
  const port = await freePort();
  const r = await box.run(['start', '--name', 'sup', '--restart', 'on-failure', '--ready', `tcp:${port}`, SERVER], {
    env: { PORT: String(port), DELAY_MS: '800' },
  });
  t.is(r.exitCode, 0, r.stderr);
  t.true(await accepts(port));
  await box.run(['stop', 'sup']);
  await waitFor(() => box.record('sup').status === 'stopped', { what: 'stopped' });
});

test('bad probes and a timeout without a probe are usage errors (exit 2)', async (t) => {
  const box = sandbox(t);
  const bad = await box.run(['start', '--ready', 'port:80', SERVER]);
  t.is(bad.exitCode, 2);
  t.is(
    bad.stderr.trim(),
    'bgrun: invalid --ready: expected tcp:PORT, tcp:HOST:PORT, http://HOST:PORT/PATH, log:/REGEX/ or delay:DURATION, got "port:80"',
  );
  const timeout = await box.run(['start', '--ready-timeout', '5s', SERVER]);
  t.is(timeout.exitCode, 2);
  t.is(timeout.stderr.trim(), 'bgrun: --ready-timeout needs --ready: the probe to wait for');
  const duration = await box.run(['start', '--ready', 'tcp:1', '--ready-timeout', 'soon', SERVER]);
  t.is(duration.exitCode, 2);
  t.regex(duration.stderr, /^bgrun: invalid --ready-timeout 'soon'/);
});
