import test from 'ava';
import { startOrder, stopOrder } from '../../../src/config/order.js';
import { ConfigError } from '../../../src/errors.js';

const app = (name: string, ...dependsOn: string[]) => ({ name, dependsOn });
const names = (apps: { name: string }[]) => apps.map((a) => a.name);

test('dependencies come first; otherwise the order of the config is kept', (t) => {
  const apps = [app('web', 'api', 'cache'), app('worker'), app('api', 'db'), app('db'), app('cache')];
  t.deepEqual(names(startOrder(apps)), ['db', 'api', 'cache', 'web', 'worker']);
  t.deepEqual(names(stopOrder(apps)), ['worker', 'web', 'cache', 'api', 'db']);
});

test('a selection brings what it depends on, transitively, and nothing else', (t) => {
  const apps = [app('web', 'api'), app('worker'), app('api', 'db'), app('db'), app('other', 'db')];
  t.deepEqual(names(startOrder(apps, ['web'])), ['db', 'api', 'web']);
  t.deepEqual(names(startOrder(apps, ['db'])), ['db']);
  t.deepEqual(names(startOrder(apps, ['other', 'web'])), ['db', 'other', 'api', 'web']);
});

test('a shared dependency is started once', (t) => {
  const apps = [app('a', 'db'), app('b', 'db'), app('db')];
  t.deepEqual(names(startOrder(apps)), ['db', 'a', 'b']);
});

test('a cycle is an error that names the cycle', (t) => {
  const apps = [app('web', 'api'), app('api', 'auth'), app('auth', 'web'), app('db')];
  const error = t.throws(() => startOrder(apps, undefined, 'bgrun.config.json'), { instanceOf: ConfigError });
  t.is(error?.message, 'bgrun.config.json: dependsOn cycle: web -> api -> auth -> web');
  t.is(error?.code, 'DEPENDENCY_CYCLE');
  t.is(error?.exitCode, 1);
  const self = t.throws(() => startOrder([app('a', 'b'), app('b', 'b')]));
  t.is(self?.message, 'config: dependsOn cycle: b -> b');
});

test('an unknown name is reported', (t) => {
  t.is(t.throws(() => startOrder([app('a')], ['b']))?.message, "config: no app named 'b'");
  t.is(t.throws(() => startOrder([app('a', 'x')]))?.message, "config: 'a' depends on 'x', which is not in it");
});
