import test from 'ava';
import { parseProbe, tryParseProbe } from '../../../../src/core/ready/parse.js';
import { UsageError } from '../../../../src/errors.js';

test('tcp probes: a port alone tries both loopback addresses', (t) => {
  t.like(parseProbe('tcp:3000'), { kind: 'tcp', port: 3000, hosts: ['127.0.0.1', '::1'] });
  t.like(parseProbe('tcp:localhost:3000'), { kind: 'tcp', port: 3000, hosts: ['127.0.0.1', '::1'] });
  t.like(parseProbe('tcp:127.0.0.1:5432'), { kind: 'tcp', port: 5432, hosts: ['127.0.0.1'] });
  t.like(parseProbe('tcp:[::1]:8080'), { kind: 'tcp', port: 8080, hosts: ['::1'] });
});

test('http, log and delay probes', (t) => {
  const http = parseProbe('http://127.0.0.1:3000/health');
  t.is(http.kind, 'http');
  t.is(http.kind === 'http' && http.url.pathname, '/health');
  const log = parseProbe('log:/listening on \\d+/i');
  t.true(log.kind === 'log' && log.pattern.test('Listening ON 80'));
  const text = parseProbe('log:ready (1.0)');
  t.true(text.kind === 'log' && text.pattern.test('ready (1.0)!') && !text.pattern.test('ready (100)'));
  t.like(parseProbe('delay:1.5s'), { kind: 'delay', ms: 1500 });
  t.like(parseProbe('delay:300'), { kind: 'delay', ms: 300 });
});

test('a bad probe says what was expected', (t) => {
  t.is(tryParseProbe('tcp:99999'), 'expected tcp:PORT or tcp:HOST:PORT with a port from 1 to 65535, got "tcp:99999"');
  t.is(tryParseProbe('tcp:'), 'expected tcp:PORT or tcp:HOST:PORT with a port from 1 to 65535, got "tcp:"');
  t.is(tryParseProbe('delay:soon'), 'expected a duration after delay: such as 500ms, 2s or 1m, got "delay:soon"');
  t.is(tryParseProbe('log:'), 'expected log:/REGEX/ or log:TEXT');
  t.regex(tryParseProbe('log:/(/') as string, /^invalid regular expression in "log:\/\(\/"/);
  t.is(tryParseProbe('3000'), 'expected tcp:PORT, tcp:HOST:PORT, http://HOST:PORT/PATH, log:/REGEX/ or delay:DURATION, got "3000"');
  const error = t.throws(() => parseProbe('udp:53'), { instanceOf: UsageError });
  t.is(error?.code, 'INVALID_PROBE');
  t.is(error?.exitCode, 2);
  t.regex(error!.message, /^invalid --ready: expected tcp:PORT/);
});
