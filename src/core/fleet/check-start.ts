/**
 * Whether a start would be refused before anything is spawned, checked with nothing
 * written: the same prepare step that the start itself runs first (startApp,
 * startInstances or startCluster), chosen as a start chooses it. `apply` checks every
 * app it would start or reload this way before its first change.
 */
import type { Context } from '../context.js';
import { type StartOptions, prepareStart } from '../lifecycle/start.js';
import { prepareCluster } from './cluster.js';
import { prepareInstances } from './instances.js';

/** Throws what the start of these options would throw before spawning. */
export function checkStart(ctx: Context, options: StartOptions): void {
  if (options.cluster) prepareCluster(ctx, options);
  else if (options.instances !== undefined) prepareInstances(ctx, { ...options, instances: options.instances });
  else prepareStart(ctx, options);
}
