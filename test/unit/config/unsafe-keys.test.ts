import test from 'ava';
import { refuseUnsafeKeys } from '../../../src/config/unsafe-keys.js';
import { libraryAppOptions } from '../../../src/config/validate-config.js';
import { ConfigError } from '../../../src/errors.js';

test('the library start() refuses a key that reaches a prototype, and nothing is polluted', (t) => {
  const app = JSON.parse('{"script":"sleep","env":{"constructor":"x"},"__proto__":{"polluted":1}}');
  const error = t.throws(() => libraryAppOptions(app), { instanceOf: ConfigError });
  t.is(error?.message, 'start(): __proto__: a key named "__proto__" is not allowed in a config (it could change how objects behave); remove it or rename it');
  t.is(({} as Record<string, unknown>).polluted, undefined);
});

test('a deeply nested value is walked without recursion, and a cycle (a JS config) is walked once', (t) => {
  let deep: Record<string, unknown> = { prototype: 1 };
  for (let i = 0; i < 100_000; i++) deep = { a: deep };
  t.regex(t.throws(() => refuseUnsafeKeys(deep, 'x.json'))?.message ?? '', /^x\.json: (a\.){100000}prototype: a key named "prototype"/);
  const cyclic: Record<string, unknown> = { apps: [] };
  (cyclic.apps as unknown[]).push(cyclic);
  t.notThrows(() => refuseUnsafeKeys(cyclic, 'x.js'));
});
