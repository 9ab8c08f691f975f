// Safety net after a test run (used by .ci/run): a test process killed by a
// time-out never runs its teardown, so this ends, by pid, any process still
// carrying the BGRUN_HOME of a test sandbox (<tmpdir>/bgrun-test-*), and says so.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const prefix = `BGRUN_HOME=${path.join(os.tmpdir(), 'bgrun-test-')}`;
const found = [];
for (const entry of fs.readdirSync('/proc')) {
  if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
  try {
    const env = fs.readFileSync(`/proc/${entry}/environ`, 'latin1').split('\0');
    const home = env.find((v) => v.startsWith(prefix));
    if (!home) continue;
    const cmd = fs.readFileSync(`/proc/${entry}/cmdline`, 'latin1').replaceAll('\0', ' ').trim();
    found.push({ pid: Number(entry), home: home.slice('BGRUN_HOME='.length), cmd });
  } catch {
    // gone, or not ours to read
  }
}
for (const p of found) {
  try {
    process.kill(p.pid, 'SIGKILL');
  } catch {
    // already gone
  }
}
if (found.length > 0) {
  console.error(`sweep: ended ${found.length} process(es) left by tests (a teardown did not run):`);
  for (const p of found.slice(0, 20)) console.error(`  ${p.pid} ${p.home} ${p.cmd.slice(0, 100)}`);
  process.exitCode = 1;
}
