/**
 * The supervisor process of supervised mode: one per state folder, started on
 * demand by the CLI (src/supervisor/ensure.ts), exits by itself when idle.
 */
import { createContext } from '../context.js';
import { bgrunVersion } from '../version.js';
import { Supervisor } from './supervisor.js';
import { readSupervisorInfo } from './supervisor-file.js';

/** The same line again within this long is counted, not written: an error met at every tick must not fill the disk. */
const REPEAT_WINDOW_MS = 60_000;
let last: { line: string; at: number; repeats: number } | null = null;

function write(text: string): void {
  try {
    process.stdout.write(text);
  } catch {
    // A full disk (ENOSPC) or a lost log: the supervisor never dies of its own log.
  }
}

/** supervisor.log is the supervisor's stdout; it is rotated by the supervisor itself (supervisor.ts). */
const log = (line: string) => {
  const now = Date.now();
  if (last && last.line === line && now - last.at < REPEAT_WINDOW_MS) {
    last.repeats++;
    return;
  }
  const stamp = `${new Date(now).toISOString()} [${process.pid}]`;
  if (last && last.repeats > 0) write(`${stamp} (the line before was repeated ${last.repeats} more times)\n`);
  last = { line, at: now, repeats: 0 };
  write(`${stamp} ${line}\n`);
};
// Asynchronous write errors of stdout and stderr (a pipe, a full disk) are not fatal either.
process.stdout.on('error', () => {});
process.stderr.on('error', () => {});

async function main(): Promise<void> {
  const ctx = createContext();
  // The command that spawned us writes supervisor.json right after the fork; anyone not named there steps aside.
  const deadline = Date.now() + 3000;
  while (readSupervisorInfo(ctx.paths)?.pid !== process.pid) {
    if (Date.now() > deadline) {
      log('not named in supervisor.json; another supervisor is in charge, exiting');
      process.exit(0);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  const supervisor = new Supervisor(ctx, log);
  // At once, as before the shutdown returned: a pass in progress is not waited for.
  supervisor.closed.then(() => process.exit(0));
  process.on('SIGUSR2', () => supervisor.wake());
  process.on('SIGTERM', () => void supervisor.shutdown('SIGTERM'));
  process.on('SIGINT', () => void supervisor.shutdown('SIGINT'));
  process.on('SIGHUP', () => {}); // no terminal to lose
  log(`supervisor ${bgrunVersion()} started for ${ctx.paths.home}`);
  supervisor.start();
}

main().catch((error: unknown) => {
  log(`fatal: ${(error as Error).stack ?? String(error)}`);
  process.exit(1);
});
