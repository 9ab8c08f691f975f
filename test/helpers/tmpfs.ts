import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import type { ExecutionContext } from 'ava';

/**
 * Mounts a small tmpfs at `dir` (a full disk on demand), unmounted at teardown; false
 * (and the test says why) where mounting is not permitted (not root, no CAP_SYS_ADMIN).
 */
export function mountTmpfs(t: ExecutionContext, dir: string, size = '2m'): boolean {
  fs.mkdirSync(dir, { recursive: true });
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0700`, 'tmpfs', dir], { stdio: 'pipe' });
  } catch (error) {
    t.log(`skipped: cannot mount a tmpfs here (${String((error as { stderr?: Buffer }).stderr ?? error).trim()})`);
    return false;
  }
  // Lazy: processes of the test may still hold files there until the sandbox's teardown kills them.
  t.teardown(() => {
    try {
      execFileSync('umount', ['-l', dir], { stdio: 'ignore' });
    } catch {
      // already unmounted
    }
  });
  return true;
}

/** Fills what is left of the file system of `dir` with one file. */
export function fillDisk(dir: string): void {
  const fd = fs.openSync(`${dir}/filler`, 'w');
  const block = Buffer.alloc(64 * 1024, 120);
  try {
    for (;;) fs.writeSync(fd, block);
  } catch {
    // full
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Makes `dir` read-only for everyone, root too (a read-only bind mount of itself), undone
 * at teardown; false (and the test says why) where mounting is not permitted.
 */
export function mountReadOnly(t: ExecutionContext, dir: string): boolean {
  try {
    execFileSync('mount', ['--bind', dir, dir], { stdio: 'pipe' });
  } catch (error) {
    t.log(`skipped: cannot bind-mount here (${String((error as { stderr?: Buffer }).stderr ?? error).trim()})`);
    return false;
  }
  t.teardown(() => {
    try {
      execFileSync('umount', ['-l', dir], { stdio: 'ignore' });
    } catch {
      // already unmounted
    }
  });
  try {
    execFileSync('mount', ['-o', 'remount,bind,ro', dir], { stdio: 'pipe' });
  } catch (error) {
    t.log(`skipped: cannot make a bind mount read-only here (${String((error as { stderr?: Buffer }).stderr ?? error).trim()})`);
    return false;
  }
  return true;
}
