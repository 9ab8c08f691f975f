import fs from 'node:fs';
import path from 'node:path';
import type { ConfigApp } from '../config/validate-config.js';
import type { Context } from '../core/context.js';
import { SUPERVISION_FLAGS, type SupervisionSettings, parseStopSignal, supervisionGiven } from '../core/supervision.js';
import { DEFAULT_MIN_UPTIME_MS } from '../core/lifecycle/start.js';
import { resolveProgram } from '../core/processes/resolve-command.js';
import type { ProcessRecord } from '../core/records/record.js';
import { writeFileAtomic } from '../core/records/registry.js';
import { UsageError, describeSystemError } from '../errors.js';
import { dockerfileText, dockerignoreText, runtimeOf } from './kubernetes-dockerfile.js';
import { bgrunVersion } from '../version.js';
import {
  DEFAULT_WORKDIR,
  type KubeExport,
  type KubeObject,
  type KubeSource,
  kubernetesObjects,
  portOf,
  workloadKind,
} from './kubernetes-manifest.js';
import { DNS_LABEL, kubernetesNames } from './kubernetes-names.js';
import { localTimeZone } from './kubernetes-schedule.js';
import { ExportError } from './systemd-unit.js';

export interface KubernetesExportOptions {
  /** The container image; without it, `dockerfile` must be set (the image is then `<name>:latest`). */
  image?: string | null;
  namespace?: string | null;
  workdir?: string | null;
  /** bgrun names to export as a Job whatever the rule says. */
  jobs?: string[];
  /** Write a Dockerfile per app beside the manifests (needs outputDir). */
  dockerfile?: boolean;
  /** A folder (one `<name>.yaml` per app) or a file ending in .yaml/.yml (all apps). */
  output?: string | null;
  /** The Node major of the generated Dockerfile (default: this Node's). */
  nodeMajor?: number;
  /** spec.timeZone of CronJobs (default: this machine's zone, the one bgrun's schedules run in). */
  timeZone?: string | null;
}

export interface KubernetesExportResult {
  apps: (KubeExport & { file: string | null; dockerfile: string | null; dockerignore: string | null; context: string; image: string })[];
  /** All objects as YAML documents (what is printed without --output). */
  yaml: string;
}

/** The records of the targets, copies of one app as one source (copy 0's spec, the copy count). */
export function sourcesFromRecords(records: ProcessRecord[]): KubeSource[] {
  const byApp = new Map<string, ProcessRecord[]>();
  for (const r of records) {
    const key = r.app ?? r.name;
    byApp.set(key, [...(byApp.get(key) ?? []), r]);
  }
  return [...byApp].map(([name, copies]) => {
    const first = [...copies].sort((a, b) => (a.instance ?? 0) - (b.instance ?? 0))[0]!;
    return {
      ...first,
      name,
      instances: first.app ? Math.max(first.instances ?? copies.length, 1) : 1,
      finished: copies.every((c) => c.status === 'exited' && c.exitCode === 0),
    };
  });
}

/** A config's apps as sources: the command bgrun would run, nothing started. */
export function sourcesFromConfig(ctx: Context, apps: ConfigApp[]): KubeSource[] {
  return apps.map((app) => {
    const cwd = path.resolve(app.cwd ?? process.cwd());
    const { command, python } = resolveProgram({
      program: app.script,
      args: app.args ?? [],
      cwd,
      env: ctx.env,
      interpreter: app.interpreter ?? null,
      isCommand: app.isCommand ?? false,
      module: app.module ?? null,
      interpreterArgs: app.interpreterArgs ?? [],
    });
    return {
      name: app.name,
      command,
      cwd,
      envVars: app.env ?? {},
      envFiles: (app.envFiles ?? []).map((f) => path.resolve(cwd, f)),
      // As a start: any supervisor setting implies on-failure (core/supervision.ts).
      restart: app.restart ?? (supervisionGiven(app).length > 0 ? 'on-failure' : 'no'),
      maxRestarts: app.maxRestarts ?? null,
      minUptimeMs: app.minUptimeMs ?? DEFAULT_MIN_UPTIME_MS,
      maxMemoryBytes: app.maxMemoryBytes ?? null,
      ready: app.ready ?? null,
      readyTimeoutMs: app.readyTimeoutMs ?? null,
      maxLogBytes: app.maxLogBytes ?? null,
      ...(app.logTime ? { logTime: true } : {}),
      ...(app.compressLogs ? { compressLogs: true } : {}),
      dependsOn: app.dependsOn,
      instances: app.instances ?? 1,
      instanceVar: app.instanceVar,
      incrementVar: app.incrementVar ?? null,
      mergeLogs: app.mergeLogs,
      cluster: app.cluster,
      interpreter: app.interpreter ?? null,
      module: app.module ?? undefined,
      ...(python ? { python } : {}),
      maxLogFiles: app.maxLogFiles ?? null,
      namespace: app.namespace ?? null,
      ...supervisionOf(app),
    };
  });
}

/** The supervisor's settings of a config app, as a start would keep them in the record (signal named, texts trimmed). */
function supervisionOf(app: ConfigApp): SupervisionSettings {
  const out: SupervisionSettings = {};
  for (const key of Object.keys(SUPERVISION_FLAGS) as (keyof SupervisionSettings)[]) {
    if (app[key] !== undefined) (out as Record<string, unknown>)[key] = app[key];
  }
  if (out.stopSignal !== undefined) out.stopSignal = parseStopSignal(out.stopSignal, 'stopSignal');
  if (out.health !== undefined) out.health = out.health.trim();
  if (out.cronRestart !== undefined) out.cronRestart = out.cronRestart.trim();
  return out;
}

/** The YAML of the objects (one document each), with a header comment. */
export async function toYaml(objects: KubeObject[], header: string): Promise<string> {
  const { stringify } = await import('yaml');
  const docs = objects.map((o) => stringify(o, { lineWidth: 0, aliasDuplicateObjects: false }).trimEnd());
  return `${header}\n${docs.map((d) => `---\n${d}`).join('\n')}\n`;
}

function writeFile(file: string, text: string): void {
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o755 });
    // 0600: env values given with --env may be secrets, as in the records.
    writeFileAtomic(file, text);
  } catch (error) {
    throw new ExportError(`cannot write ${file}: ${describeSystemError(error)}`);
  }
}

/** Objects for the sources, written to `output` when given. */
export async function exportKubernetes(sources: KubeSource[], options: KubernetesExportOptions): Promise<KubernetesExportResult> {
  if (!options.image && !options.dockerfile) throw new UsageError('missing --image: the container image to run (or --dockerfile to write one)', 'EXPORT_FAILED');
  if (options.namespace && !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(options.namespace)) {
    throw new UsageError(`invalid --namespace '${options.namespace}': use lower-case letters, digits and '-' (a DNS-1123 label)`, 'EXPORT_FAILED');
  }
  const workdir = options.workdir ?? DEFAULT_WORKDIR;
  if (!path.posix.isAbsolute(workdir)) throw new UsageError(`invalid --workdir '${workdir}': give an absolute path in the image`, 'EXPORT_FAILED');
  const output = options.output ? path.resolve(options.output) : null;
  const single = output !== null && /\.ya?ml$/i.test(output);
  if (options.dockerfile && output === null) throw new UsageError('--dockerfile needs --output <dir>: the Dockerfiles are written beside the manifests', 'EXPORT_FAILED');
  for (const job of options.jobs ?? []) {
    if (!sources.some((s) => s.name === job)) throw new UsageError(`--job '${job}' is not one of the exported apps`, 'EXPORT_FAILED');
  }
  const names = kubernetesNames(sources.map((s) => s.name));
  const ports = new Map<string, number>();
  const forced = (s: KubeSource) => (options.jobs?.includes(s.name) ? ('Job' as const) : undefined);
  // Only a Deployment gets a Service: a dependency on a Job or CronJob has nothing to wait for.
  for (const s of sources) {
    const port = portOf(s);
    if (port !== null && workloadKind(s, forced(s)) === 'Deployment') ports.set(s.name, port);
  }
  const nodeMajor = options.nodeMajor ?? Number(process.versions.node.split('.')[0]);
  const header = (what: string) =>
    `# ${what}: exported from bgrun ${bgrunVersion()} (bgrun export kubernetes). Apply with: kubectl apply -f <this file>`;
  const apps: KubernetesExportResult['apps'] = [];
  for (const source of sources) {
    const kubeName = names.get(source.name)!;
    if (options.dockerfile && runtimeOf(source) === null) dockerfileText(source, workdir, 0);
    if (!DNS_LABEL.test(kubeName)) throw new ExportError(`'${source.name}': cannot be made a Kubernetes name`);
    const image = options.image ?? `${kubeName}:latest`;
    const exported = kubernetesObjects(source, {
      image,
      namespace: options.namespace ?? null,
      workdir,
      names,
      ports,
      ...(forced(source) ? { kind: 'Job' as const } : {}),
      localImage: !options.image,
      dockerfile: options.dockerfile === true,
      timeZone: options.timeZone === undefined ? localTimeZone() : options.timeZone,
    });
    apps.push({ ...exported, file: null, dockerfile: null, dockerignore: null, context: source.cwd, image });
  }
  const all = apps.flatMap((a) => a.objects);
  const yaml = await toYaml(all, header(sources.map((s) => s.name).join(', ')));
  if (output !== null) {
    if (single) {
      writeFile(output, yaml);
      for (const app of apps) app.file = output;
    } else {
      for (const app of apps) {
        const file = path.join(output, `${app.kubeName}.yaml`);
        writeFile(file, await toYaml(app.objects, header(app.name)));
        app.file = file;
      }
    }
    if (options.dockerfile) {
      const dir = single ? path.dirname(output) : output;
      for (const app of apps) {
        app.dockerfile = path.join(dir, `${app.kubeName}.Dockerfile`);
        // BuildKit's name for the ignore file of one Dockerfile: the app's folder is left as it is.
        app.dockerignore = `${app.dockerfile}.dockerignore`;
      }
      const written = apps.flatMap((a) => [a.file!, a.dockerfile!, a.dockerignore!]);
      for (const [i, app] of apps.entries()) {
        writeFile(app.dockerfile!, dockerfileText(sources[i]!, workdir, nodeMajor, path.basename(app.dockerignore!)));
        writeFile(app.dockerignore!, dockerignoreText(sources[i]!, written));
      }
    }
  }
  return { apps, yaml };
}
