/**
 * Starts asked for in the same turn of the event loop go out as one batch (startApps):
 * a config's apps that depend on nothing are all asked for at once, and so are those
 * that become free when what they depend on is ready.
 */
import type { Context } from '../core/context.js';
import type { LaunchResult } from '../core/lifecycle/launch.js';
import type { StartOptions } from '../core/lifecycle/start.js';
import { startApps } from '../core/lifecycle/start-batch.js';

interface Waiting {
  options: StartOptions;
  resolve: (result: LaunchResult) => void;
  reject: (reason: unknown) => void;
}

export class StartTogether {
  private waiting: Waiting[] = [];

  constructor(private readonly ctx: Context) {}

  start(options: StartOptions): Promise<LaunchResult> {
    return new Promise((resolve, reject) => {
      // After every start asked for in this turn (they are asked for in promise callbacks).
      if (this.waiting.length === 0) setImmediate(() => void this.flush());
      this.waiting.push({ options, resolve, reject });
    });
  }

  private async flush(): Promise<void> {
    const batch = this.waiting.splice(0);
    try {
      const settled = await startApps(
        this.ctx,
        batch.map((w) => w.options),
      );
      for (const [i, s] of settled.entries()) {
        if (s.status === 'fulfilled') batch[i]!.resolve(s.value);
        else batch[i]!.reject(s.reason);
      }
    } catch (error) {
      for (const w of batch) w.reject(error);
    }
  }
}
