/**
 * The supervisor process of supervised mode: one per state folder, started on
 * demand by the CLI (src/supervisor/ensure.ts), exits by itself when idle.
 */
import { createContext } from '../core/context.js';
import { bgrunVersion } from '../version.js';
import { Supervisor } from './supervisor.js';
import { readSupervisorInfo } from './supervisor-file.js';

const log = (line: string) => process.stdout.write(`${new Date().toISOString()} [${process.pid}] ${line}\n`);

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
  process.on('SIGUSR2', () => supervisor.wake());
  process.on('SIGTERM', () => supervisor.shutdown('SIGTERM'));
  process.on('SIGINT', () => supervisor.shutdown('SIGINT'));
  process.on('SIGHUP', () => {}); // no terminal to lose
  log(`supervisor ${bgrunVersion()} started for ${ctx.paths.home}`);
  supervisor.start();
}

main().catch((error: unknown) => {
  log(`fatal: ${(error as Error).stack ?? String(error)}`);
  process.exit(1);
});
