/**
 * `--cron-restart <expr>`: on schedule, a running program is restarted
 * gracefully and one that is not running (it exited, or bgrun gave up on it)
 * is started, so a nightly job works (as pm2's cron job does today: it calls
 * restartProcessId, which starts an app that is not online; pm2#1767 was an
 * older pm2 that fired only while the app ran). With --restart no the program
 * is still supervised, its exits not restarted (core/records/supervised.ts).
 * A program the user stopped stays stopped. croner is
 * loaded by the supervisor only when a record has a schedule.
 */
import type { ProcessRecord } from '../core/records/record.js';
import { isSupervised } from '../core/records/supervised.js';
import { loadCron } from '../core/supervision.js';

/** What a schedule reads of a program: a record of the supervisor, or an app of `bgrun run`. */
export type ScheduleTarget = Pick<ProcessRecord, 'name' | 'desired' | 'restart' | 'cronRestart'>;

interface Scheduled {
  expr: string;
  job: { stop(): void };
}

export class Schedules {
  private readonly scheduled = new Map<string, Scheduled>();

  constructor(
    private readonly log: (line: string) => void,
    private readonly onFire: (name: string) => void,
    private readonly report: (name: string, problem: string | null) => void,
  ) {}

  sync(records: ScheduleTarget[]): void {
    const wanted = new Map(records.filter((r) => r.desired === 'running' && isSupervised(r) && r.cronRestart).map((r) => [r.name, r.cronRestart!]));
    for (const [name, s] of this.scheduled) {
      if (wanted.get(name) !== s.expr) this.unschedule(name);
    }
    for (const [name, expr] of wanted) {
      if (this.scheduled.has(name)) continue;
      try {
        const Cron = loadCron();
        // A tick that throws (it never should) must not take the supervisor down: croner catches, we log.
        const job = new Cron(expr, { catch: (error: unknown) => this.log(`error in the schedule of ${name}: ${(error as Error).message}`) }, () => this.onFire(name));
        this.scheduled.set(name, { expr, job });
        const next = job.nextRun();
        this.log(`schedule of ${name}: "${expr}", next ${next ? next.toISOString() : 'never'}`);
      } catch (error) {
        // A record edited by hand, or an expression an older croner took: reported once, not retried every tick.
        this.scheduled.set(name, { expr, job: { stop() {} } });
        const problem = `--cron-restart "${expr}" cannot be scheduled: ${(error as Error).message}`;
        this.log(`${name}: ${problem}`);
        this.report(name, problem);
      }
    }
  }

  private unschedule(name: string): void {
    this.scheduled.get(name)?.job.stop();
    this.scheduled.delete(name);
  }

  closeAll(): void {
    for (const name of [...this.scheduled.keys()]) this.unschedule(name);
  }

  get size(): number {
    return this.scheduled.size;
  }
}
