// Output written with fs.writeSync (src/stdio.ts) must arrive whole whatever the file
// descriptor is: a full pipe that another process left non-blocking, a closed pipe.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { ROOT } from '../helpers/bgrun.js';

const STDIO = path.join(ROOT, 'dist', 'stdio.js');

/** Runs `code` (an ES module) in a child Node with the given stdio; resolves with its exit code. */
function runChild(code: string, stdio: ('pipe' | 'ignore' | number)[]) {
  const child = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  return { child, exited };
}

test('a full non-blocking pipe (EAGAIN) gets every byte, in order', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bgrun-stdio-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const fifo = path.join(dir, 'fifo');
  execFileSync('mkfifo', [fifo]);
  // The reader end first (non-blocking, so open does not wait), then a non-blocking writer end for the child.
  const reader = fs.openSync(fifo, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  const writer = fs.openSync(fifo, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK);
  t.teardown(() => {
    for (const fd of [reader, writer]) {
      try {
        fs.closeSync(fd);
      } catch {
        // closed already
      }
    }
  });
  // 1 MiB of numbered lines: sixteen times what the pipe holds.
  const lines = 80_000;
  const { child, exited } = runChild(
    `import { writeAll } from ${JSON.stringify(STDIO)};
     let text = ''; for (let i = 0; i < ${lines}; i++) text += 'line ' + i + '\\n';
     writeAll(3, text);`,
    ['ignore', 'ignore', 'pipe', writer],
  );
  let stderr = '';
  child.stderr!.on('data', (d) => {
    stderr += d;
  });
  t.teardown(() => child.kill('SIGKILL'));
  fs.closeSync(writer);
  // Let the pipe fill and the writer meet EAGAIN before anything is read.
  await new Promise((r) => setTimeout(r, 300));
  const chunks: Buffer[] = [];
  const buffer = Buffer.alloc(65536);
  let code: number | null | undefined;
  void exited.then((c) => {
    code = c;
  });
  for (;;) {
    let n = 0;
    try {
      n = fs.readSync(reader, buffer);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
      await new Promise((r) => setTimeout(r, 2));
      continue;
    }
    if (n === 0) break; // every writer closed: the end
    chunks.push(Buffer.from(buffer.subarray(0, n)));
  }
  await exited;
  t.is(code, 0, stderr);
  const got = Buffer.concat(chunks).toString().split('\n');
  t.is(got.length, lines + 1);
  t.is(got[0], 'line 0');
  t.is(got[lines - 1], `line ${lines - 1}`);
  t.true(got.every((line, i) => i === lines || line === `line ${i}`));
});

test('stdout closed early (bgrun list | head): the command ends quietly with status 0', async (t) => {
  const { child, exited } = runChild(
    `import { writeOut } from ${JSON.stringify(STDIO)};
     for (let i = 0; i < 100000; i++) writeOut('line ' + i);
     process.stderr.write('not reached');
     process.exit(7);`,
    ['ignore', 'pipe', 'pipe'],
  );
  let stderr = '';
  child.stderr!.on('data', (d) => {
    stderr += d;
  });
  // Read one chunk, then close the pipe as `head` does.
  await new Promise<void>((resolve) => child.stdout!.once('data', () => resolve()));
  child.stdout!.destroy();
  t.is(await exited, 0);
  t.is(stderr, '');
});
