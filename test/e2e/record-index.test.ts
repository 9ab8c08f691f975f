import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { sandbox, sweepAll, waitFor } from '../helpers/bgrun.js';
import { LONG, listJson, runOk } from '../helpers/proc.js';

test.after.always(sweepAll);

// With many records `list` serves them from records/.index (core/records/record-index.ts); whatever
// happens to a record file behind bgrun's back, `list` must show the file, never the index.
const COUNT = 40;

test('the records index never serves stale state: a record edited, added or removed behind bgrun shows in list', async (t) => {
  const box = sandbox(t);
  await runOk(t, box, ['start', '--wait', '0', '--name', 'base', 'sleep', '300']);
  await runOk(t, box, ['stop', 'base']);
  const records = path.join(box.home, 'records');
  const file = (name: string) => path.join(records, `${name}.json`);
  const base = box.record('base');
  // Copies written long ago (old file times): settled, so the first list indexes them.
  const old = new Date(Date.now() - 60_000);
  const write = (name: string, extra: Record<string, unknown> = {}) => {
    fs.writeFileSync(file(name), `${JSON.stringify({ ...base, name, ...extra }, null, 2)}\n`, { mode: 0o600 });
    fs.utimesSync(file(name), old, old);
  };
  for (let i = 0; i < COUNT; i++) write(`r${String(i).padStart(2, '0')}`);
  const restartsOf = async () => new Map((await listJson(box)).map((p) => [p.name as string, p.restarts as number]));

  // Indexed once their files have been left alone for a while (the ctime the copies just got included).
  await waitFor(
    async () => {
      t.is((await restartsOf()).size, COUNT + 1);
      return fs.existsSync(path.join(records, '.index'));
    },
    { timeout: LONG, interval: 500, what: 'a list to write the index' },
  );
  t.is((await restartsOf()).size, COUNT + 1, 'the next list reads it');

  // Edited in place, same size, file times put back as they were: only the ctime tells.
  const text = fs.readFileSync(file('r05'), 'utf8');
  const edited = text.replace('"restarts": 0', '"restarts": 7');
  t.is(edited.length, text.length);
  fs.writeFileSync(file('r05'), edited);
  fs.utimesSync(file('r05'), old, old);
  // Replaced the way an editor saves (a new file renamed over it).
  fs.writeFileSync(`${file('r06')}.new`, text.replace('"r05"', '"r06"').replace('"restarts": 0', '"restarts": 3'));
  fs.renameSync(`${file('r06')}.new`, file('r06'));
  // Added and removed.
  write('zz-added', { restarts: 9 });
  fs.unlinkSync(file('r07'));

  for (const round of ['first list after the changes', 'second list after the changes']) {
    const seen = await restartsOf();
    t.is(seen.get('r05'), 7, round);
    t.is(seen.get('r06'), 3, round);
    t.is(seen.get('zz-added'), 9, round);
    t.false(seen.has('r07'), round);
    t.is(seen.size, COUNT + 1, round);
  }

  // A broken or planted index is only ignored.
  fs.writeFileSync(path.join(records, '.index'), '{"v":1,"entries":{"r08":{"k":"x","r":{"name":"r08"}}}}');
  t.is((await restartsOf()).get('r05'), 7);
  fs.writeFileSync(path.join(records, '.index'), 'not json');
  t.is((await restartsOf()).size, COUNT + 1);
});
