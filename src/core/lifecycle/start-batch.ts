/**
 * Many named starts at once (the apps of a config): every check that needs no lock
 * first, then the records written in batches, one lock and one round of syncs per batch
 * (not one lock and two syncs per program), then the launches together (launchAll).
 */
import { StateError, describeSystemError } from '../../errors.js';
import type { Context } from '../context.js';
import { checkLogOwners } from '../logs/log-paths.js';
import { envFile } from '../paths.js';
import type { ProcessRecord } from '../records/record.js';
import { isSupervised } from '../records/supervised.js';
import { readRecords, withLock, writeFilesAtomic, writeRecords } from '../records/registry.js';
import { DEFAULT_WAIT_MS, type LaunchItem, type LaunchResult, launchAll } from './launch.js';
import { type PreparedStart, type StartOptions, claimName, inheritedEnv, newRecord, prepareStart, startApp } from './start.js';

/** Records written under one lock: bounds how long others wait for it (about a second loaded). */
const RECORD_BATCH = 50;

type Settled = PromiseSettledResult<LaunchResult>;
const rejected = (reason: unknown): Settled => ({ status: 'rejected', reason });

/**
 * Writes the records of one batch under one lock: each checked as startApp checks a named
 * start, its environment written before it (a record is never without its environment).
 * Returns the records written; a refused or unwritable one gets its error in `errors`.
 */
async function writeBatch(
  ctx: Context,
  batch: { i: number; options: StartOptions; prepared: PreparedStart }[],
  errors: Map<number, unknown>,
): Promise<{ i: number; record: ProcessRecord }[]> {
  return withLock(ctx.paths, async () => {
    const fresh: { i: number; record: ProcessRecord }[] = [];
    for (const { i, options, prepared } of batch) {
      try {
        const name = options.name!;
        const record = newRecord(ctx, options, prepared, name, claimName(ctx, options, prepared, name));
        if (options.outLog !== undefined || options.errLog !== undefined || options.log !== undefined) {
          checkLogOwners(record, [...readRecords(ctx.paths, { reuse: true }).records, ...fresh.map((f) => f.record)]);
        }
        fresh.push({ i, record });
      } catch (error) {
        errors.set(i, error);
      }
    }
    const env = `${JSON.stringify(inheritedEnv(ctx))}\n`;
    const byEnvFile = new Map(fresh.map((f) => [envFile(ctx.paths, f.record.name), f]));
    await writeFilesAtomic(
      fresh.map((f) => ({ file: envFile(ctx.paths, f.record.name), data: env })),
      (file, error) => {
        const f = byEnvFile.get(file)!;
        errors.set(f.i, new StateError(`cannot write the environment of '${f.record.name}': ${describeSystemError(error)}`, error));
      },
    );
    const withEnv = fresh.filter((f) => !errors.has(f.i));
    const byName = new Map(withEnv.map((f) => [f.record.name, f.i]));
    await writeRecords(
      ctx.paths,
      withEnv.map((f) => f.record),
      (name, error) => errors.set(byName.get(name)!, error),
    );
    return withEnv.filter((f) => !errors.has(f.i));
  });
}

/**
 * Starts several programs, each settled as startApp would settle it (a refused one
 * leaves nothing behind; the others start all the same). A program without a name is
 * started on its own by startApp (its name depends on the others). When a lock cannot
 * be had, the programs not yet recorded fail with that error; those recorded are
 * launched, so whatever runs is recorded.
 */
export async function startApps(ctx: Context, list: StartOptions[]): Promise<Settled[]> {
  const results: Settled[] = new Array(list.length);
  const errors = new Map<number, unknown>();
  const ready: { i: number; options: StartOptions; prepared: PreparedStart }[] = [];
  const alone: Promise<void>[] = [];
  list.forEach((options, i) => {
    if (options.name === undefined) {
      const settle = (result: Settled) => {
        results[i] = result;
      };
      alone.push(startApp(ctx, options).then((value) => settle({ status: 'fulfilled', value }), (reason: unknown) => settle(rejected(reason))));
      return;
    }
    try {
      ready.push({ i, options, prepared: prepareStart(ctx, options) });
    } catch (error) {
      errors.set(i, error);
    }
  });
  // The supervisor starts (a Node start-up, seconds on a loaded machine) while the records are written.
  const booting = ready.some(({ options, prepared }) => isSupervised({ restart: prepared.restart, ...prepared.supervision, maxMemoryBytes: options.maxMemoryBytes })) ? ctx.supervisor?.ensure(ctx).catch(() => {}) : undefined;
  const written: { i: number; record: ProcessRecord }[] = [];
  for (let at = 0; at < ready.length; at += RECORD_BATCH) {
    try {
      written.push(...(await writeBatch(ctx, ready.slice(at, at + RECORD_BATCH), errors)));
    } catch (error) {
      for (const { i } of ready.slice(at)) if (!errors.has(i)) errors.set(i, error);
      break;
    }
  }
  const items: LaunchItem[] = written.map(({ i, record }) => ({ record, waitMs: list[i]!.waitMs ?? DEFAULT_WAIT_MS }));
  await booting;
  const launched = await launchAll(ctx, items);
  for (const [k, { i }] of written.entries()) results[i] = launched[k]!;
  for (const [i, error] of errors) results[i] = rejected(error);
  await Promise.all(alone);
  return results;
}
