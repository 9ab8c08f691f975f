/**
 * The context the CLI, the library and the supervisor work with: the core's (state
 * folder, environment) plus the supervisor behind the core's hooks, loaded only when a
 * start needs it. The core never imports the supervisor; this is where they meet.
 */
import { type Context, type ContextOptions, createContext as createCoreContext } from './core/context.js';

export type { Context, ContextOptions };

export function createContext(options: ContextOptions = {}): Context {
  return {
    ...createCoreContext(options),
    supervisor: {
      launch: async (ctx, record, waitMs) => (await import('./supervisor/delegate.js')).launchSupervised(ctx, record, waitMs),
      launchMany: async (ctx, items) => (await import('./supervisor/delegate.js')).launchSupervisedMany(ctx, items),
      ensure: async (ctx) => {
        await (await import('./supervisor/ensure.js')).ensureSupervisor(ctx);
      },
    },
  };
}
