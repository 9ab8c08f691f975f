import path from 'node:path';
import type { AppSpec, RestartPolicy } from '../core/records/record.js';
import type { SupervisionSettings } from '../core/supervision.js';
import { healthProbes, parseHealth, parseReady, probePort, readinessProbe, seconds } from './kubernetes-probes.js';
import { cronJobSchedule } from './kubernetes-schedule.js';
import { gracePeriodSeconds, stopSignalRemark, supervisionRemarks } from './kubernetes-supervision.js';
import { CRONJOB_NAME_MAX, fitName } from './kubernetes-names.js';
import { pythonInImage } from './kubernetes-python.js';
import { ExportError } from './systemd-unit.js';

/**
 * A bgrun app as Kubernetes objects: pure data, no file system, no YAML. The command
 * (commands/export.ts, export/kubernetes.ts) gathers the apps and writes the objects;
 * docs/kubernetes.md explains the mapping field by field.
 */

/** What an app is made of: a record's spec (copy 0 for an app with copies). */
export type KubeSource = Pick<
  AppSpec,
  'name' | 'command' | 'cwd' | 'envVars' | 'envFiles' | 'restart' | 'maxRestarts' | 'minUptimeMs' | 'maxMemoryBytes'
> &
  Partial<
    Pick<
      AppSpec,
      | 'ready'
      | 'readyTimeoutMs'
      | 'maxLogBytes'
      | 'maxLogFiles'
      | 'logTime'
      | 'compressLogs'
      | 'dependsOn'
      | 'instances'
      | 'instanceVar'
      | 'incrementVar'
      | 'mergeLogs'
      | 'cluster'
      | 'namespace'
      | 'interpreter'
      | 'module'
      | 'python'
    >
  > &
  SupervisionSettings & {
    /** bgrun saw it finish on its own with status 0 (restart policy no): a program meant to finish. */
    finished?: boolean;
  };

export type WorkloadKind = 'Deployment' | 'Job' | 'CronJob';

export interface KubeOptions {
  /** The container image; required. */
  image: string;
  /** metadata.namespace of every object; none: kubectl's current namespace. */
  namespace?: string | null;
  /** The image's working folder: the app's cwd becomes this (default /app). */
  workdir?: string;
  /** Kubernetes names of the apps exported together (kubernetes-names.ts), by bgrun name. */
  names: Map<string, string>;
  /** Ports of the apps exported together, by bgrun name (for dependsOn's wait). */
  ports: Map<string, number>;
  /** Force a Job for this app (`--job`; a CronJob when it has a schedule); else the rule of workloadKind. */
  kind?: 'Job';
  /** imagePullPolicy: IfNotPresent for an image built here (no --image). */
  localImage?: boolean;
  /** A Dockerfile is written for it (--dockerfile): the stop signal goes there. */
  dockerfile?: boolean;
  /** spec.timeZone of a CronJob: the zone bgrun's schedule ran in (kubernetes-schedule.ts localTimeZone). */
  timeZone?: string | null;
}

export type KubeObject = Record<string, unknown> & { apiVersion: string; kind: string; metadata: Record<string, unknown> };

export interface KubeExport {
  name: string;
  kubeName: string;
  kind: WorkloadKind;
  objects: KubeObject[];
  /** bgrun settings with no Kubernetes equivalent (also in the annotation bgrun.dev/not-carried-over). */
  notCarried: string[];
  /** How a setting was carried over where it behaves differently (also in bgrun.dev/notes). */
  notes: string[];
  /** Env files, each to become a Secret with `kubectl create secret generic`. */
  secrets: { name: string; file: string }[];
  /** Paths of the command that were rewritten for the image: from → to. */
  paths: { from: string; to: string }[];
}

export const DEFAULT_WORKDIR = '/app';
/** The image that waits for a dependency's Service (busybox has nc). */
export const WAIT_IMAGE = 'busybox:1.36';
export const ANNOTATION = 'bgrun.dev';


/** A byte count as a Kubernetes quantity: Gi, Mi or Ki when exact, else bytes. */
export function quantity(bytes: number): string {
  for (const [unit, size] of [['Gi', 1024 ** 3], ['Mi', 1024 ** 2], ['Ki', 1024]] as const) {
    if (bytes % size === 0) return `${bytes / size}${unit}`;
  }
  return String(bytes);
}

/**
 * Job, CronJob or Deployment. A program is meant to finish when told (`--job`), when bgrun
 * saw it finish with status 0 under a policy other than `always`, or when it retries
 * failures a limited number of times (`on-failure` with `--max-restarts`) and has no
 * --ready probe (a server has one): a Job. With `--cron-restart` (bgrun starts it on the
 * schedule when it is not running: a nightly task), it is a CronJob unless it looks like a
 * server: `--restart always`, a --ready or --health check, a known port, several copies.
 * A server stays a Deployment and the schedule restarting it is a remark (docs/kubernetes.md
 * shows the CronJob that does it). Everything else runs until stopped: a Deployment.
 */
export function workloadKind(source: KubeSource, forced?: 'Job'): WorkloadKind {
  const copies = source.instances ?? 1;
  const finishes =
    forced === 'Job' ||
    (source.finished === true && source.restart !== 'always') ||
    (source.restart === 'on-failure' && source.maxRestarts !== null && !source.ready && copies <= 1);
  if (source.cronRestart) {
    const serverLike = source.restart === 'always' || !!source.ready || !!source.health || portOf(source) !== null || copies > 1 || source.cluster === true;
    return finishes || !serverLike ? 'CronJob' : 'Deployment';
  }
  return finishes ? 'Job' : 'Deployment';
}

/** The port the app listens on: its --ready tcp:/http: probe, else its --health one, else PORT from --env. */
export function portOf(source: KubeSource): number | null {
  const port = probePort(parseReady(source.ready)) ?? probePort(parseHealth(source.health));
  if (port !== null) return port;
  const env = source.envVars?.PORT;
  if (env !== undefined && /^\d{1,5}$/.test(env) && Number(env) >= 1 && Number(env) <= 65535) return Number(env);
  return null;
}

/**
 * The command inside the image: the cwd becomes `workdir`; paths under it become
 * relative (arguments) or absolute in the image (the executable); an interpreter
 * outside it (node, python3) is looked up on the image's PATH by its base name; a
 * virtual environment's Python becomes `python`, its console scripts their name on
 * PATH (kubernetes-python.ts), with a note saying so.
 */
function imageCommand(source: KubeSource, workdir: string, paths: KubeExport['paths'], notes: string[]): string[] {
  const [exe, ...args] = source.command;
  if (exe === undefined || exe === '') throw new ExportError(`'${source.name}': the command is empty`);
  const cwd = source.cwd;
  const inside = (p: string) => p === cwd || p.startsWith(cwd.endsWith('/') ? cwd : `${cwd}/`);
  const python = path.isAbsolute(exe) ? pythonInImage(exe, source.python) : null;
  let image: string;
  if (python) {
    image = python.to;
    notes.push(python.note);
  } else if (path.isAbsolute(exe) && inside(exe)) image = path.posix.join(workdir, path.relative(cwd, exe));
  else if (path.isAbsolute(exe)) image = path.basename(exe);
  else image = exe;
  if (image !== exe) paths.push({ from: exe, to: image });
  const out = [image];
  for (const arg of args) {
    if (path.isAbsolute(arg) && inside(arg)) {
      const rel = path.relative(cwd, arg) || '.';
      paths.push({ from: arg, to: rel });
      out.push(rel);
    } else {
      if (path.isAbsolute(arg) && /^\/(home|Users|tmp)\//.test(arg)) {
        notes.push(`the argument ${arg} is a path outside the app's folder: it must exist in the image`);
      }
      out.push(arg);
    }
  }
  return out;
}

/** BGRUN_INSTANCE (and pm2's variable) of an Indexed Job's copy: its completion index. */
function completionIndexEnv(source: KubeSource): Record<string, unknown>[] {
  const index = { fieldRef: { fieldPath: "metadata.annotations['batch.kubernetes.io/job-completion-index']" } };
  const names = ['BGRUN_INSTANCE', source.instanceVar ?? 'NODE_APP_INSTANCE'];
  return [...new Set(names)].map((name) => ({ name, valueFrom: index }));
}

const restartName: Record<RestartPolicy, string> = { no: 'no', 'on-failure': 'on-failure', always: 'always' };

/** The objects of one app, with what did not carry over. Throws ExportError for what cannot be exported. */
export function kubernetesObjects(source: KubeSource, options: KubeOptions): KubeExport {
  const mapped = options.names.get(source.name);
  if (mapped === undefined) throw new ExportError(`'${source.name}': no Kubernetes name was made for it`);
  if (!options.image) throw new ExportError('missing --image: the container image to run (or --dockerfile to write one)');
  const kind = workloadKind(source, options.kind);
  const kubeName = kind === 'CronJob' ? fitName(mapped, source.name, CRONJOB_NAME_MAX) : mapped;
  const workdir = options.workdir ?? DEFAULT_WORKDIR;
  const notCarried: string[] = [];
  const notes: string[] = [];
  const paths: KubeExport['paths'] = [];
  const secrets: KubeExport['secrets'] = [];
  const probe = parseReady(source.ready);
  const port = portOf(source);
  const instances = source.instances ?? 1;

  const command = imageCommand(source, workdir, paths, notes);
  const env = Object.entries(source.envVars ?? {}).map(([name, value]) => ({ name, value }));
  const envFrom = (source.envFiles ?? []).map((file, i) => {
    const name = `${kubeName}-env${i === 0 ? '' : `-${i + 1}`}`;
    secrets.push({ name, file });
    return { secretRef: { name } };
  });
  notes.push("the environment 'bgrun start' ran in (PATH, HOME, ...) is not copied: only --env values and env files (as Secrets)");

  const container: Record<string, unknown> = {
    name: kubeName,
    image: options.image,
    ...(options.localImage ? { imagePullPolicy: 'IfNotPresent' } : {}),
    command: [command[0]],
    ...(command.length > 1 ? { args: command.slice(1) } : {}),
    workingDir: workdir,
    ...(env.length > 0 ? { env } : {}),
    ...(envFrom.length > 0 ? { envFrom } : {}),
    ...(port !== null && kind === 'Deployment' ? { ports: [{ name: 'app', containerPort: port }] } : {}),
  };

  // Readiness.
  if (probe) {
    const readiness = readinessProbe(probe);
    if (readiness && kind === 'Deployment') {
      if (source.readyTimeoutMs) notes.push(`--ready-timeout ${seconds(source.readyTimeoutMs)}s → the Deployment's progressDeadlineSeconds (a rollout not ready by then is reported failed, not stopped)`);
      container.readinessProbe = readiness;
    } else if (probe.kind === 'log') {
      notCarried.push(`--ready ${probe.text}: Kubernetes has no probe that reads the log; give the app a tcp: or http: probe`);
    } else if (probe.kind === 'delay' && kind === 'Deployment') {
      notes.push(`--ready ${probe.text} → minReadySeconds (a new pod counts as available after running that long)`);
    } else {
      notCarried.push(`--ready ${probe.text}: a ${kind} has no readiness`);
    }
  }

  // Memory.
  if (source.maxMemoryBytes !== null && source.maxMemoryBytes !== undefined) {
    container.resources = { limits: { memory: quantity(source.maxMemoryBytes) } };
    notes.push(`--max-memory → resources.limits.memory ${quantity(source.maxMemoryBytes)}: Kubernetes kills the container there (OOMKilled) and restarts it; bgrun restarted it gracefully`);
  }

  // Health, stop, and the supervisor's other settings.
  const inImage = (command: string) => {
    const rewritten = command.split(`${source.cwd.replace(/\/+$/, '')}/`).join(`${workdir.replace(/\/+$/, '')}/`);
    if (rewritten !== command) paths.push({ from: command, to: rewritten });
    return rewritten;
  };
  Object.assign(container, healthProbes(source, notes, notCarried, inImage));
  stopSignalRemark(source, options.dockerfile === true, { notes, notCarried });
  supervisionRemarks(source, kind, { notes, notCarried });

  // Restart policy.
  if (kind === 'Deployment') {
    if (source.restart !== 'always') {
      notCarried.push(`restart policy '${restartName[source.restart]}': a Deployment restarts its container whenever it exits (use --job for a program meant to finish)`);
    }
    if (source.maxRestarts !== null && source.restart !== 'no') {
      notCarried.push(`--max-restarts ${source.maxRestarts}: a Deployment never gives up (CrashLoopBackOff retries with a delay up to 5 minutes)`);
    }
  }
  if (source.restart !== 'no' && source.minUptimeMs !== undefined) {
    notes.push(`--min-uptime: the kubelet resets its restart delay after 10 minutes of running, not after ${seconds(source.minUptimeMs)}s`);
  }

  // Copies.
  if (kind !== 'Deployment' && instances > 1) {
    notes.push(`${instances} copies → completions and parallelism ${instances} (Indexed): each copy runs once to the end, BGRUN_INSTANCE from its completion index`);
  } else if (instances > 1 || source.cluster) {
    notes.push(`${instances} copies → replicas: ${instances}, one pod each with its own IP${port !== null ? ', behind one Service' : ''}`);
    notCarried.push(
      `BGRUN_INSTANCE and ${source.instanceVar ?? 'NODE_APP_INSTANCE'}: pods of a Deployment have no copy index (a StatefulSet does)`,
    );
  }
  if (source.cluster) notes.push('cluster mode (one primary forking workers that share a port) → one pod per worker behind the Service; a rollout replaces them one at a time');
  if (source.incrementVar) notCarried.push(`--increment-var ${source.incrementVar}: every pod gets the same value (each pod has its own IP, so the same port works)`);
  if (source.mergeLogs) notes.push('--merge-logs: kubectl logs -l app.kubernetes.io/name=… reads all pods together');

  // Logs.
  if (source.maxLogBytes || source.maxLogFiles) notes.push('log limits: the kubelet keeps and rotates container logs itself (containerLogMaxSize, containerLogMaxFiles of the node)');
  if (source.logTime) notes.push('--log-time → kubectl logs --timestamps');
  if (source.compressLogs) notCarried.push('--compress-logs: the kubelet compresses rotated logs itself');

  // Schedule.
  const schedule = kind === 'CronJob' ? cronJobSchedule(source.name, source.cronRestart!) : null;
  if (schedule) {
    const zone = options.timeZone ? `in ${options.timeZone}, the zone bgrun ran it in` : "in the controller's time zone (usually UTC)";
    notes.push(`--cron-restart "${source.cronRestart}" → a CronJob on "${schedule.schedule}" ${zone}; a run still going at the next time is replaced (concurrencyPolicy Replace), as bgrun restarted it`);
    if (schedule.lost) notCarried.push(schedule.lost);
  } else if (source.cronRestart) {
    notCarried.push(
      `--cron-restart "${source.cronRestart}": a Deployment has no scheduled restart; run kubectl rollout restart deployment/${kubeName} on that schedule (docs/kubernetes.md shows a CronJob doing it), or --job if the program is meant to finish`,
    );
  }

  // Dependencies.
  const initContainers: Record<string, unknown>[] = [];
  for (const dep of source.dependsOn ?? []) {
    const depName = options.names.get(dep);
    const depPort = options.ports.get(dep);
    if (depName === undefined || depPort === undefined) {
      notCarried.push(`dependsOn '${dep}': ${depName === undefined ? 'not exported with it' : 'it has no Service to wait for (no known port: no tcp:/http: probe, no PORT; or it is a Job)'}, so nothing waits for it`);
      continue;
    }
    initContainers.push({
      name: `wait-for-${depName}`.slice(0, 63).replace(/-+$/, ''),
      image: WAIT_IMAGE,
      command: ['sh', '-c', `until nc -z -w 2 ${depName} ${depPort}; do echo waiting for ${depName}; sleep 2; done`],
    });
    notes.push(`dependsOn '${dep}' → an init container waiting until the Service ${depName} accepts connections on ${depPort}, at each pod start only (not when it goes away later)`);
  }

  const labels = { 'app.kubernetes.io/name': kubeName };
  const annotations: Record<string, string> = {
    [`${ANNOTATION}/name`]: source.name,
    ...(source.namespace ? { [`${ANNOTATION}/namespace`]: source.namespace } : {}),
  };
  const metadata = (extra: Record<string, string> = {}) => ({
    name: kubeName,
    ...(options.namespace ? { namespace: options.namespace } : {}),
    labels,
    annotations: { ...annotations, ...extra },
  });
  const workloadAnnotations: Record<string, string> = {};
  if (notCarried.length > 0) workloadAnnotations[`${ANNOTATION}/not-carried-over`] = notCarried.join('\n');
  if (notes.length > 0) workloadAnnotations[`${ANNOTATION}/notes`] = notes.join('\n');

  if (kind !== 'Deployment' && instances > 1) container.env = [...env, ...completionIndexEnv(source)];

  const podSpec: Record<string, unknown> = {
    ...(initContainers.length > 0 ? { initContainers } : {}),
    containers: [container],
    terminationGracePeriodSeconds: gracePeriodSeconds(source),
  };
  const objects: KubeObject[] = [];
  if (kind === 'Deployment') {
    objects.push({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: metadata(workloadAnnotations),
      spec: {
        replicas: instances,
        selector: { matchLabels: labels },
        ...(probe?.kind === 'delay' ? { minReadySeconds: seconds(probe.ms) } : {}),
        ...(probe && probe.kind !== 'delay' && probe.kind !== 'log' && source.readyTimeoutMs ? { progressDeadlineSeconds: seconds(source.readyTimeoutMs) } : {}),
        template: { metadata: { labels }, spec: { ...podSpec, restartPolicy: 'Always' } },
      },
    });
    if (port !== null) {
      objects.push({
        apiVersion: 'v1',
        kind: 'Service',
        metadata: metadata(),
        spec: { selector: labels, ports: [{ name: 'app', port, targetPort: port, protocol: 'TCP' }] },
      });
    }
  } else {
    const onFailure = source.restart !== 'no';
    const jobSpec = {
      backoffLimit: onFailure ? (source.maxRestarts ?? 6) : 0,
      ...(instances > 1 ? { completions: instances, parallelism: instances, completionMode: 'Indexed' } : {}),
      template: { metadata: { labels }, spec: { ...podSpec, restartPolicy: onFailure ? 'OnFailure' : 'Never' } },
    };
    if (kind === 'Job') objects.push({ apiVersion: 'batch/v1', kind: 'Job', metadata: metadata(workloadAnnotations), spec: jobSpec });
    else {
      objects.push({
        apiVersion: 'batch/v1',
        kind: 'CronJob',
        metadata: metadata(workloadAnnotations),
        spec: {
          schedule: schedule!.schedule,
          ...(options.timeZone ? { timeZone: options.timeZone } : {}),
          // bgrun restarts a run still going when the time comes: Replace does the same.
          concurrencyPolicy: 'Replace',
          jobTemplate: { metadata: { labels }, spec: jobSpec },
        },
      });
    }
  }
  return { name: source.name, kubeName, kind, objects, notCarried, notes, secrets, paths };
}
