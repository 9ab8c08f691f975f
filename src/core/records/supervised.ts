import type { RestartPolicy } from './record.js';

/**
 * Whether the supervisor runs a program (spawns it, sees its exits, keeps its watch and
 * schedule) rather than the command that started it. A restart policy makes it so; so does
 * a watch or a schedule, even with `--restart no` (pm2's `autorestart: false` with `watch`
 * or `cron_restart`): its exits are then not restarted, but a change or the schedule
 * starts it again, and someone has to be there to do that. A memory limit too: pm2
 * restarts an `autorestart: false` app over `max_memory_restart`, and only the supervisor
 * watches memory.
 */
export function isSupervised(r: {
  restart: RestartPolicy;
  watch?: readonly string[] | undefined;
  cronRestart?: string | undefined;
  maxMemoryBytes?: number | null | undefined;
}): boolean {
  return r.restart !== 'no' || startsOnEvents(r) || restartsOverMemory(r);
}

/** A memory limit: the supervisor restarts it over the limit, whatever its restart policy. */
export function restartsOverMemory(r: { maxMemoryBytes?: number | null | undefined }): boolean {
  return typeof r.maxMemoryBytes === 'number';
}

/** A watch or a schedule starts it again even after it ended. */
export function startsOnEvents(r: { watch?: readonly string[] | undefined; cronRestart?: string | undefined }): boolean {
  return (r.watch?.length ?? 0) > 0 || Boolean(r.cronRestart);
}
