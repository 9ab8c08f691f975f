import test from 'ava';
import { parseJsonWithComments } from '../../../src/config/json-comments.js';
import { PM2_DEFAULTS, fromPm2File, safeName } from '../../../src/config/pm2.js';
import { APP_KEYS, knownAppKey } from '../../../src/config/validate-config.js';

const read = (value: unknown) => fromPm2File(value, 'ecosystem.config.js', knownAppKey, APP_KEYS);

test("pm2's defaults are pm2's own (lib/God.js: max_restarts 16, min_uptime 1000 ms; schema.json: autorestart true)", (t) => {
  t.deepEqual(PM2_DEFAULTS, { autorestart: true, max_restarts: 16, min_uptime: 1000 });
  const file = read({ apps: [{ script: 'a.js' }, { script: 'b.js', autorestart: false }, { script: 'c.js', max_restarts: 3, min_uptime: '5s' }] })!;
  t.deepEqual(file.apps.map((a) => a.defaults), [['autorestart: true', 'max_restarts: 16', 'min_uptime: 1000'], [], ['autorestart: true']]);
  t.deepEqual(file.value.apps[1], { script: 'b.js', autorestart: false });
  // bgrun's own key wins over the default when a pm2 file uses it.
  t.deepEqual(read([{ script: 'd.js', restart: 'on-failure' }])!.apps[0]!.defaults, ['max_restarts: 16', 'min_uptime: 1000']);
});

test("pm2's interpreter by extension (lib/API/interpreter.json) where bgrun's own is sh or none: .sh bash, .rb ruby, .php php, .pl perl", (t) => {
  const file = read({
    apps: [
      { script: 'a.sh', autorestart: false },
      { script: 'b.rb', autorestart: false },
      { script: 'c.php', autorestart: false },
      { script: 'd.pl', autorestart: false },
      { script: 'e.sh', autorestart: false, interpreter: 'none' },
      { script: 'f.sh', autorestart: false, exec_interpreter: 'sh' },
      { script: 'g.py', autorestart: false },
      { script: 'h.js', autorestart: false },
    ],
  })!;
  t.deepEqual(file.apps.map((a) => a.defaults), [['interpreter: bash'], ['interpreter: ruby'], ['interpreter: php'], ['interpreter: perl'], [], [], [], []]);
  t.deepEqual(
    (file.value.apps as { interpreter?: string }[]).map((a) => a.interpreter),
    ['bash', 'ruby', 'php', 'perl', 'none', 'sh', undefined, undefined],
  );
});

test('shapes: apps list, pm2 key, one app object, a top-level array; nothing app-like is left to the checks', (t) => {
  t.is(read({ apps: [{ script: 'a.js' }] })!.apps.length, 1);
  t.is(read({ pm2: [{ script: 'a.js' }] })!.apps.length, 1);
  t.is(read({ script: 'a.js', name: 'one' })!.apps.length, 1);
  t.is(read([{ script: 'a.js' }, { script: 'b.js' }])!.apps.length, 2);
  t.is(read({ hello: 1 }), null);
  t.is(read('text'), null);
});

test('aliases, mapped keys, unset env values, display names', (t) => {
  const [app] = read([
    {
      name: 'My API / v2',
      exec: 'server.js',
      out: 'out.log',
      node_args: '--inspect  --trace-warnings',
      exec_interpreter: 'node',
      env: { A: undefined, B: null, C: 'c', D: 0 },
      env_production: { E: undefined, F: 'f' },
      port: 8080,
      treekill: true,
    },
  ])!.apps;
  t.is(app!.displayName, 'My API / v2');
  const value = app!.value as Record<string, unknown>;
  t.is(value.name, 'My-API-v2');
  t.is(value.script, 'server.js');
  t.is(value.out_file, 'out.log');
  t.deepEqual(value.interpreterArgs, ['--inspect', '--trace-warnings']);
  t.is(value.interpreter, 'node');
  t.deepEqual(value.env, { C: 'c', D: 0, PORT: 8080 });
  t.deepEqual(value.env_production, { F: 'f' });
  t.false('treekill' in value);
  t.is(safeName('  spaces  '), 'spaces');
  t.is(safeName('123'), 'app-123');
});

test('one warning line per key and reason, naming the apps; typos get the nearest key', (t) => {
  const file = read({
    apps: [
      { name: 'a', script: 'a.js', vizion: false, instanse: 2, treekill: false },
      { name: 'b', script: 'b.js', vizion: true, autorestrat: false },
    ],
    deploy: {},
    extra: 1,
  })!;
  t.deepEqual(file.warnings, [
    "ecosystem.config.js: deploy: ignored: pm2's deploy section is for 'pm2 deploy'; bgrun does not deploy",
    'ecosystem.config.js: extra: ignored: a pm2 file holds apps (and deploy); pm2 ignores other keys too',
    'ecosystem.config.js: vizion (a, b): ignored: bgrun does not track versions',
    'ecosystem.config.js: instanse (a): unknown key, ignored as pm2 ignores it (did you mean "instances"?)',
    'ecosystem.config.js: treekill (a): ignored: bgrun always stops the whole process tree',
    'ecosystem.config.js: autorestrat (b): unknown key, ignored as pm2 ignores it (did you mean "autorestart"?)',
  ]);
});

test('JSON as pm2 reads it: comments and trailing commas, strings untouched', (t) => {
  t.deepEqual(parseJsonWithComments('// top\n{ "a": "x // not a comment", /* b */ "b": [1, 2,], "c": "d,}" , }\n'), {
    a: 'x // not a comment',
    b: [1, 2],
    c: 'd,}',
  });
  t.deepEqual(parseJsonWithComments('{"e": "quote \\" // still a string"}'), { e: 'quote " // still a string' });
  t.throws(() => parseJsonWithComments('{ "a": }'));
});

test("pm2's watch settings without watch on are dropped silently, as pm2 ignores them; kept with watch", (t) => {
  const file = read({
    apps: [
      { script: 'a.js', watch: false, ignore_watch: ['node_modules'], watch_delay: 1000, watch_options: { followSymlinks: true } },
      { script: 'b.js', ignore_watch: 'logs' },
      { script: 'c.js', watch: true, ignore_watch: 'logs' },
    ],
  })!;
  t.deepEqual(file.warnings, []);
  t.deepEqual(file.value.apps[0], { script: 'a.js', watch: false, autorestart: true, max_restarts: 16, min_uptime: 1000 });
  t.is((file.value.apps[1] as Record<string, unknown>).ignore_watch, undefined);
  t.is((file.value.apps[2] as Record<string, unknown>).ignore_watch, 'logs');
});
