/**
 * `bgrun apply [file]`: makes what runs match a config file. Each record a
 * config start makes keeps the file it came from (`origin`) and a hash of its
 * app's normalised spec (`specHash`), so apply tells apart, without guessing:
 *   start     an app of the file with nothing running
 *   reload    an app whose spec changed: its copies replaced one at a time with the new spec
 *   scale     an app whose count of copies alone changed
 *   replace   one program that becomes copies, or copies that become one program
 *   remove    a record that came from this file whose app is no longer in it
 *   unchanged everything else, left alone (same pids)
 * The whole file is validated before anything is touched; a name held by
 * another project's program, and an app whose start would be refused (the
 * start's own prepare step, core/fleet/check-start.ts), are refused first too.
 */
import path from 'node:path';
import type { Context } from '../core/context.js';
import { checkStart } from '../core/fleet/check-start.js';
import { copiesOf, freshCopy, isLive } from '../core/fleet/instances.js';
import { reloadTargets } from '../core/fleet/reload.js';
import { scaleApp } from '../core/fleet/scale.js';
import { removeRecord } from '../core/lifecycle/remove.js';
import { newRecord, prepareStart } from '../core/lifecycle/start.js';
import { checkNameOwner } from '../core/records/origin.js';
import type { ProcessRecord, RecordOrigin } from '../core/records/record.js';
import { readRecords, withLock, writeRecord } from '../core/records/registry.js';
import { BgrunError } from '../errors.js';
import type { LoadedConfig } from './load-config.js';
import { startOrder } from './order.js';
import { specHash } from './spec-hash.js';
import { type StartConfigOptions, startConfigApps } from './start-config.js';
import type { ConfigApp } from './validate-config.js';

export type ApplyAction = 'start' | 'reload' | 'scale' | 'replace' | 'remove' | 'unchanged';

export interface PlanStep {
  app: string;
  action: ApplyAction;
  /** Why, for the plan: what changed. */
  detail: string;
  /** Records of the app now (empty for start). */
  records: ProcessRecord[];
  config?: ConfigApp;
}

export interface ApplyStepResult extends PlanStep {
  /** Pids after the step, by record name. */
  after: ProcessRecord[];
}

const STATE_KEYS = new Set([
  'version',
  'name',
  'app',
  'instance',
  'instances',
  'desired',
  'status',
  'pid',
  'identity',
  'lastPid',
  'createdAt',
  'startedAt',
  'endedAt',
  'exitCode',
  'signal',
  'restarts',
  'outLog',
  'errLog',
  'pidFile',
  'launcher',
  'supervisedBy',
  'failures',
  'nextStartAt',
  'readyAt',
  'startError',
]);

function fromFile(record: ProcessRecord, file: string): boolean {
  return record.origin?.kind === 'config' && record.origin.file === file;
}

/** What differs between the running records and the entry, in words (for the plan). */
function describeChange(record: ProcessRecord, app: ConfigApp): string {
  if (!record.specHash) return 'started without a recorded spec';
  const cwd = path.resolve(app.cwd ?? process.cwd());
  const changed: string[] = [];
  if (record.script !== (app.module ?? app.script)) changed.push('script');
  if (JSON.stringify(record.args) !== JSON.stringify(app.args ?? [])) changed.push('args');
  if (record.cwd !== cwd) changed.push('cwd');
  if (JSON.stringify(record.envVars) !== JSON.stringify(app.env ?? {})) changed.push('env');
  if (JSON.stringify(record.envFiles) !== JSON.stringify(app.envFiles ?? [])) changed.push('env files');
  if (record.restart !== (app.restart ?? 'no')) changed.push('restart policy');
  if ((record.ready ?? null) !== (app.ready ?? null)) changed.push('ready');
  return changed.length > 0 ? `${changed.join(', ')} changed` : 'options changed';
}

/**
 * Every app the plan would start, reload, scale or replace, checked as its start checks it
 * before spawning (script, interpreter, cluster for Node only, options…): a step that
 * fails after others ran would leave removals and reloads done. Throws the first refusal,
 * its message naming the app.
 */
function checkStarts(ctx: Context, config: LoadedConfig, steps: PlanStep[]): void {
  const origin: RecordOrigin = { kind: 'config', file: config.file, cwd: process.cwd() };
  const refused: { app: string; error: unknown }[] = [];
  for (const step of steps) {
    if (!step.config || step.action === 'unchanged' || step.action === 'remove') continue;
    try {
      checkStart(ctx, { ...step.config, origin });
    } catch (error) {
      refused.push({ app: step.app, error });
    }
  }
  const first = refused[0];
  if (!first) return;
  if (!(first.error instanceof BgrunError)) throw first.error;
  const others = refused.slice(1).map((r) => `'${r.app}'`);
  first.error.message = `cannot apply ${config.label}: '${first.app}' would not start: ${first.error.message}${others.length > 0 ? `; nor would ${others.join(', ')}` : ''}; nothing was changed`;
  throw first.error;
}

/**
 * The plan, from the file and the records; throws before anything is touched when a name
 * belongs elsewhere or an app's start would be refused.
 */
export function planApply(ctx: Context, config: LoadedConfig): PlanStep[] {
  const { records } = readRecords(ctx.paths);
  const origin: RecordOrigin = { kind: 'config', file: config.file, cwd: process.cwd() };
  const steps: PlanStep[] = [];
  const inFile = new Set(config.apps.map((a) => a.name));
  // Removals first (dependents before what they depend on: reverse order of the records' own).
  const gone = new Map<string, ProcessRecord[]>();
  for (const r of records) {
    const app = r.app ?? r.name;
    if (fromFile(r, config.file) && !inFile.has(app)) gone.set(app, [...(gone.get(app) ?? []), r]);
  }
  for (const [app, list] of gone) steps.push({ app, action: 'remove', detail: `no longer in ${config.label}`, records: list });

  for (const app of startOrder(config.apps, undefined, config.label)) {
    const copies = copiesOf(records, app.name);
    const single = records.find((r) => r.name === app.name && r.app === undefined);
    const current = copies.length > 0 ? copies : single ? [single] : [];
    const cwd = path.resolve(app.cwd ?? process.cwd());
    for (const r of current) checkNameOwner(r, { name: app.name, script: app.module ?? app.script, args: app.args, cwd, origin });
    const live = current.filter(isLive);
    const want = app.instances ?? 1;
    const hash = specHash(app);
    // A cluster app is one record (its primary), whatever its count of workers.
    const wantsCopies = app.instances !== undefined && !app.cluster;
    const reshaped = current.length > 0 && wantsCopies !== (copies.length > 0);
    if (live.length === 0 && !reshaped) {
      steps.push({ app: app.name, action: 'start', detail: current.length > 0 ? 'not running' : 'new', records: current, config: app });
      continue;
    }
    // Stopped records of the old shape are replaced too: a start would refuse the name they hold.
    if (reshaped) {
      steps.push({
        app: app.name,
        action: 'replace',
        detail: wantsCopies ? `one program becomes ${want} copies` : 'copies become one program',
        records: current,
        config: app,
      });
      continue;
    }
    const changed = live.some((r) => r.specHash !== hash) || (live[0]!.cluster === true) !== (app.cluster === true);
    if (changed && (app.cluster || live[0]!.cluster)) {
      // The primary holds the program's command and environment: a new spec needs a new primary.
      steps.push({ app: app.name, action: 'replace', detail: `${describeChange(live[0]!, app)}; cluster mode: restarted as a whole`, records: current, config: app });
    } else if (changed) {
      steps.push({ app: app.name, action: 'reload', detail: describeChange(live[0]!, app) + (live.length !== want ? `; ${live.length} -> ${want} copies` : ''), records: current, config: app });
    } else if (app.cluster ? (live[0]!.instances ?? 1) !== want : live.length !== want || copies.some((r) => !isLive(r) && (r.instance ?? 0) < want)) {
      steps.push({ app: app.name, action: 'scale', detail: `${live.length} -> ${want} copies`, records: current, config: app });
    } else {
      steps.push({ app: app.name, action: 'unchanged', detail: '', records: current, config: app });
    }
  }
  checkStarts(ctx, config, steps);
  return steps;
}

/** A record with the entry's new spec, its state kept (pid, logs, restarts). */
function withNewSpec(ctx: Context, current: ProcessRecord, app: ConfigApp, origin: RecordOrigin): ProcessRecord {
  const options = { ...app, origin, specHash: specHash(app) };
  const fresh = newRecord(ctx, options, prepareStart(ctx, options), current.name);
  const next: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(current)) if (STATE_KEYS.has(key)) next[key] = value;
  for (const [key, value] of Object.entries(fresh)) if (!STATE_KEYS.has(key)) next[key] = value;
  const record = next as unknown as ProcessRecord;
  if (current.app !== undefined) {
    // A copy keeps its index; its copy fields come from the entry.
    const copy = freshCopy(ctx.paths, { ...fresh, instanceVar: app.instanceVar ?? null, incrementVar: app.incrementVar ?? null, mergeLogs: app.mergeLogs === true }, current.app, current.instance ?? 0, app.instances ?? 1);
    Object.assign(record, { instanceVar: copy.instanceVar, incrementVar: copy.incrementVar, mergeLogs: copy.mergeLogs, outLog: copy.outLog, errLog: copy.errLog, instances: app.instances });
  }
  return record;
}

/** What the progress line says a step is doing. */
const DOING: Record<ApplyAction, string | undefined> = {
  start: 'starting',
  reload: 'reloading',
  scale: 'scaling',
  replace: 'replacing',
  remove: 'removing',
  unchanged: undefined,
};

export interface ApplyOptions {
  waitMs?: number;
  onStep?: (step: ApplyStepResult) => void;
  /** Told when each step begins (with what a start waits for) and ends: the CLI's progress line. */
  progress?: StartConfigOptions['progress'];
}

/** Carries out the plan, step by step; a failure stops it with what was done so far printed. */
export async function applyPlan(ctx: Context, config: LoadedConfig, steps: PlanStep[], options: ApplyOptions = {}): Promise<ApplyStepResult[]> {
  const origin: RecordOrigin = { kind: 'config', file: config.file, cwd: process.cwd() };
  const done: ApplyStepResult[] = [];
  const finish = (step: PlanStep, after: ProcessRecord[]) => {
    const result = { ...step, after };
    done.push(result);
    options.progress?.end(step.app);
    options.onStep?.(result);
  };
  for (const step of steps) {
    // A step that fails ends the apply: the command clears the progress line then.
    options.progress?.begin(step.app, DOING[step.action]);
    const app = step.config;
    switch (step.action) {
      case 'unchanged':
        finish(step, step.records);
        break;
      case 'remove':
        for (const r of [...step.records].reverse()) await removeRecord(ctx, r);
        finish(step, []);
        break;
      case 'replace':
        for (const r of [...step.records].reverse()) await removeRecord(ctx, r);
        finish(step, await startEntry(ctx, config, app!, options));
        break;
      case 'start':
        finish(step, await startEntry(ctx, config, app!, options));
        break;
      case 'scale': {
        await scaleApp(ctx, app!.name, String(app!.instances ?? 1), { waitMs: options.waitMs });
        finish(step, copiesOf(readRecords(ctx.paths).records, app!.name));
        break;
      }
      case 'reload': {
        const want = app!.instances ?? 1;
        const live = step.records.filter(isLive);
        // Copies past the new count go first; the rest are replaced one at a time with the new spec; missing ones are added with it.
        for (const r of [...live].reverse()) if ((r.instance ?? 0) >= want && r.app !== undefined) await removeRecord(ctx, r);
        const kept = live.filter((r) => r.app === undefined || (r.instance ?? 0) < want);
        await reloadTargets(ctx, kept, {
          waitMs: options.waitMs,
          prepare: (record) =>
            withLock(ctx.paths, () => {
              const next = withNewSpec(ctx, record, app!, origin);
              writeRecord(ctx.paths, next);
              return next;
            }),
        });
        if (app!.instances !== undefined && kept.length < want) await scaleApp(ctx, app!.name, String(want), { waitMs: options.waitMs });
        const now = readRecords(ctx.paths).records;
        finish(step, app!.instances !== undefined ? copiesOf(now, app!.name) : now.filter((r) => r.name === app!.name));
        break;
      }
    }
  }
  return done;
}

async function startEntry(ctx: Context, config: LoadedConfig, app: ConfigApp, options: ApplyOptions): Promise<ProcessRecord[]> {
  // The step's progress line says what its start waits for (a ready probe); the step ends it.
  const { progress } = options;
  const waits = progress && {
    begin: (name: string, detail?: string) => {
      if (name === app.name && detail) progress.begin(name, detail);
    },
    end: () => {},
  };
  // What it depends on came earlier in the plan: started already, so left alone here.
  const outcomes = await startConfigApps(ctx, config, { only: [app.name], waitMs: options.waitMs, progress: waits });
  const outcome = outcomes.find((o) => o.name === app.name);
  return outcome ? (outcome.copies ?? [outcome.record]) : [];
}
