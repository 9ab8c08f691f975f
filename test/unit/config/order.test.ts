import test from 'ava';
import { afterDependencies, startOrder, stopOrder } from '../../../src/config/order.js';
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

/** a0 -> a1 -> … -> a<n-1>: each app depends on the next (or, reversed, on the one before). */
const chain = (n: number, reversed = false) =>
  Array.from({ length: n }, (_, i) => (reversed ? app(`a${i}`, ...(i > 0 ? [`a${i - 1}`] : [])) : app(`a${i}`, ...(i < n - 1 ? [`a${i + 1}`] : []))));

test('a dependsOn chain of 8,000 apps is ordered without overflowing the stack, both ways', (t) => {
  for (const reversed of [false, true]) {
    const apps = chain(8000, reversed);
    const order = names(startOrder(apps));
    t.is(order.length, 8000);
    t.is(order[0], reversed ? 'a0' : 'a7999');
    t.is(order[7999], reversed ? 'a7999' : 'a0');
    t.is(names(stopOrder(apps))[0], reversed ? 'a7999' : 'a0');
    t.is(names(startOrder(apps, [reversed ? 'a7999' : 'a0'])).length, 8000);
  }
});

test('a cycle through 8,000 apps is still its clear error, one short line', (t) => {
  const apps = chain(8000);
  apps[7999]!.dependsOn.push('a0');
  const error = t.throws(() => startOrder(apps, undefined, 'big.json'), { instanceOf: ConfigError });
  t.is(error?.code, 'DEPENDENCY_CYCLE');
  t.is(error?.message, 'big.json: dependsOn cycle of 8000 apps: a0 -> a1 -> a2 -> a3 -> … -> a7998 -> a7999 -> a0');
});

test('afterDependencies waits along a chain of 8,000 without recursion, dependencies first', async (t) => {
  const apps = chain(8000);
  const ran: string[] = [];
  const results = afterDependencies<number>(new Map(apps.map((a) => [a.name, a.dependsOn])), async (name, deps) => {
    ran.push(name);
    return (deps[0] ?? 0) + 1;
  });
  t.is(await results.get('a0'), 8000);
  t.is(ran[0], 'a7999');
  t.is(ran[7999], 'a0');
});
