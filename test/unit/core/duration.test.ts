import test from 'ava';
import { formatDuration, parseDuration } from '../../../src/core/duration.js';
import { UsageError } from '../../../src/errors.js';

test('parseDuration reads milliseconds and the units ms, s, m, h', (t) => {
  t.is(parseDuration('0'), 0);
  t.is(parseDuration('500'), 500);
  t.is(parseDuration('500ms'), 500);
  t.is(parseDuration('2s'), 2000);
  t.is(parseDuration('1.5m'), 90_000);
  t.is(parseDuration('1h'), 3_600_000);
  t.is(parseDuration('0.25s'), 250);
  t.is(parseDuration(' 10s '), 10_000);
});

test('parseDuration refuses anything else with a usage error naming the option', (t) => {
  for (const text of ['', 'soon', '5x', '-1', '1e3', 's', '1 s', '1.s', '.5s', '10S', '2d', 'NaN', 'Infinity']) {
    const error = t.throws(() => parseDuration(text, '--timeout'), { instanceOf: UsageError }, JSON.stringify(text));
    t.is(error?.code, 'INVALID_DURATION');
    t.is(error?.exitCode, 2);
    t.true(error?.message.startsWith(`invalid --timeout '${text}': `), error?.message);
  }
});

test('formatDuration shows the two largest units', (t) => {
  t.is(formatDuration(0), '0s');
  t.is(formatDuration(999), '0s');
  t.is(formatDuration(59_000), '59s');
  t.is(formatDuration(60_000), '1m');
  t.is(formatDuration(61_000), '1m1s');
  t.is(formatDuration(3_600_000), '1h');
  t.is(formatDuration(3_660_000), '1h1m');
  t.is(formatDuration(47 * 3_600_000), '47h');
  t.is(formatDuration(48 * 3_600_000), '2d');
  t.is(formatDuration(49 * 3_600_000), '2d1h');
});
