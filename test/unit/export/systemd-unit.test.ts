import test from 'ava';
import {
  ExportError,
  environmentAssignment,
  execStartLine,
  quoteExecArg,
  startLimits,
  systemdUnit,
  unitPath,
} from '../../../src/export/systemd-unit.js';

test('ExecStart arguments: plain words stay bare, the rest is quoted with C escapes, % and $ doubled', (t) => {
  t.is(quoteExecArg('--port=3000'), '--port=3000');
  t.is(quoteExecArg('two words'), '"two words"');
  t.is(quoteExecArg('a"b'), '"a\\"b"');
  t.is(quoteExecArg('a\\b'), '"a\\\\b"');
  t.is(quoteExecArg('100%'), '"100%%"');
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal ${...} argument is the point
  t.is(quoteExecArg('$HOME and ${X}'), '"$$HOME and $${X}"');
  t.is(quoteExecArg(';'), '";"');
  t.is(quoteExecArg(''), '""');
  t.is(quoteExecArg('a\nb\tc\x01'), '"a\\nb\\tc\\x01"');
  t.is(quoteExecArg('héllo wörld'), '"héllo wörld"');
});

test('the executable: % doubled but $ kept, since systemd does not substitute in the path; a $ in it uses the @ form', (t) => {
  t.is(execStartLine(['/usr/bin/node', 'x.js']), '/usr/bin/node x.js');
  t.is(execStartLine(['/opt/my app/run', 'a b']), '"/opt/my app/run" "a b"');
  t.is(execStartLine(['/opt/100%/run']), '"/opt/100%%/run"');
  t.is(execStartLine(['/opt/$x/run', '-v']), '@"/opt/$x/run" "/opt/$$x/run" -v');
  t.throws(() => execStartLine([]), { instanceOf: ExportError });
});

test('Environment= assignments: quoted when needed, % doubled, $ left alone (no substitution there)', (t) => {
  t.is(environmentAssignment('PORT', '3000'), 'PORT=3000');
  t.is(environmentAssignment('MSG', 'a "b" $c 5% \\'), '"MSG=a \\"b\\" $c 5%% \\\\"');
  t.is(environmentAssignment('EMPTY', ''), 'EMPTY=');
  t.is(environmentAssignment('NL', 'a\nb'), '"NL=a\\nb"');
  t.throws(() => environmentAssignment('BAD-KEY', 'x'), { instanceOf: ExportError });
});

test('paths: % doubled; relative paths and line breaks refused', (t) => {
  t.is(unitPath('/srv/my app/100%', 'x'), '/srv/my app/100%%');
  t.throws(() => unitPath('relative/dir', 'the working folder'), { instanceOf: ExportError, message: /not an absolute path/ });
  t.throws(() => unitPath('/a\nb', 'the log file'), { instanceOf: ExportError, message: /control characters/ });
});

test('start limits follow bgrun: max-restarts + 1 starts within as many quick runs; always without a limit never gives up', (t) => {
  t.is(startLimits({ restart: 'no', maxRestarts: null, minUptimeMs: 10_000 }), null);
  t.deepEqual(startLimits({ restart: 'on-failure', maxRestarts: 2, minUptimeMs: 1000 }), { intervalSec: '3300ms', burst: 3 });
  t.deepEqual(startLimits({ restart: 'on-failure', maxRestarts: null, minUptimeMs: 10_000 }), { intervalSec: '111100ms', burst: 11 });
  t.deepEqual(startLimits({ restart: 'always', maxRestarts: null, minUptimeMs: 10_000 }), { intervalSec: '0', burst: 1 });
  t.deepEqual(startLimits({ restart: 'always', maxRestarts: 0, minUptimeMs: 900 }), { intervalSec: '1s', burst: 1 });
});

const SOURCE = {
  name: 'web',
  command: ['/usr/bin/node', '/srv/web/server.js'],
  cwd: '/srv/web',
  envVars: {},
  envFiles: [],
  restart: 'no' as const,
  maxRestarts: null,
  minUptimeMs: 10_000,
  maxMemoryBytes: null,
  outLog: '/home/u/.local/state/bgrun/logs/web.out.log',
  errLog: '/home/u/.local/state/bgrun/logs/web.err.log',
};

test('system units run as the user who ran bgrun (not root); user units have no User=', (t) => {
  t.regex(systemdUnit(SOURCE, { user: false, runAs: 'alice' }).text, /^User=alice$/m);
  t.notRegex(systemdUnit(SOURCE, { user: false, runAs: 'root' }).text, /^User=/m);
  const user = systemdUnit(SOURCE, { user: true, runAs: 'alice' });
  t.notRegex(user.text, /^User=/m);
  t.is(user.unitName, 'bgrun-web.service');
  t.regex(user.text, /\[Install\]\nWantedBy=default\.target\n$/);
});

test('what systemd cannot do the same is said in comments: readiness probes, log rotation', (t) => {
  const text = systemdUnit({ ...SOURCE, ready: 'tcp:3000\n[Service]', maxLogBytes: 10 * 1024 * 1024 }, { user: true }).text;
  t.regex(text, /^# bgrun waited for --ready tcp:3000\\n\[Service\] after each start; systemd has no such probe/m);
  t.regex(text, /^# bgrun rotated these logs past 10M; under systemd, rotate them with logrotate/m);
  t.is(text.match(/^\[Service\]$/gm)?.length, 1);
});

test('dependsOn orders the units: Wants= and After= the units of what it depends on', (t) => {
  const text = systemdUnit({ ...SOURCE, dependsOn: ['db', 'cache'] }, { user: true }).text;
  t.regex(text, /^Wants=bgrun-db\.service bgrun-cache\.service$/m);
  t.regex(text, /^After=bgrun-db\.service bgrun-cache\.service$/m);
  t.notRegex(systemdUnit(SOURCE, { user: true }).text, /^(Wants|After)=/m);
});
