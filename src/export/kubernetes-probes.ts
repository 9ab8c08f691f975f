import { DEFAULT_READY_TIMEOUT_MS, type Probe, tryParseProbe } from '../core/ready/parse.js';
import { DEFAULT_HEALTH_INTERVAL_MS, DEFAULT_HEALTH_RETRIES, DEFAULT_HEALTH_TIMEOUT_MS } from '../core/supervision.js';

/**
 * `--ready` and `--health` as container probes. Kubernetes probes the pod's IP, not
 * 127.0.0.1, so the host of a tcp:/http: probe is dropped (docs/kubernetes.md says the
 * app must listen on all interfaces).
 */

export type HealthProbe = Probe | { kind: 'cmd'; text: string; command: string };

/** A readiness probe is polled this often (bgrun polls its own every 0.5 s while starting). */
export const READY_PERIOD_S = 2;

export const seconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));

export function parseReady(text: string | null | undefined): Probe | null {
  if (!text) return null;
  const probe = tryParseProbe(text);
  return typeof probe === 'string' ? null : probe;
}

export function parseHealth(text: string | null | undefined): HealthProbe | null {
  if (!text) return null;
  const trimmed = text.trim();
  if (trimmed.startsWith('cmd:')) return { kind: 'cmd', text: trimmed, command: trimmed.slice(4).trim() };
  return parseReady(trimmed);
}

/** The port a tcp:/http: probe connects to, else null. */
export function probePort(probe: HealthProbe | null): number | null {
  if (probe?.kind === 'tcp') return probe.port;
  if (probe?.kind === 'http') return probe.url.port === '' ? (probe.url.protocol === 'https:' ? 443 : 80) : Number(probe.url.port);
  return null;
}

/** The handler of a probe (tcpSocket, httpGet, exec), or null for those Kubernetes has none of (log:, delay:). */
export function probeHandler(probe: HealthProbe | null): Record<string, unknown> | null {
  if (probe?.kind === 'tcp') return { tcpSocket: { port: probe.port } };
  if (probe?.kind === 'http') {
    return {
      httpGet: {
        path: `${probe.url.pathname}${probe.url.search}` || '/',
        port: probePort(probe),
        ...(probe.url.protocol === 'https:' ? { scheme: 'HTTPS' } : {}),
      },
    };
  }
  // bgrun runs it with sh -c in the app's folder: the container's workingDir is that folder.
  if (probe?.kind === 'cmd') return { exec: { command: ['sh', '-c', probe.command] } };
  return null;
}

export function readinessProbe(probe: Probe | null): Record<string, unknown> | null {
  const handler = probeHandler(probe);
  return handler ? { ...handler, periodSeconds: READY_PERIOD_S, failureThreshold: 3 } : null;
}

export interface HealthSettings {
  health?: string;
  healthIntervalMs?: number;
  healthTimeoutMs?: number;
  healthRetries?: number;
  ready?: string | null;
  readyTimeoutMs?: number | null;
}

/**
 * `--health` → livenessProbe: the kubelet restarts the container after failureThreshold
 * failures in a row, as bgrun does after --health-retries. bgrun checks only once the
 * program is ready, the first check one interval later: a tcp:/http: --ready becomes a
 * startupProbe (liveness waits for it), and initialDelaySeconds is the interval.
 */
export function healthProbes(
  source: HealthSettings,
  notes: string[],
  notCarried: string[],
  /** Rewrites the app's folder in a cmd: check to the image's working folder. */
  inImage: (command: string) => string = (command) => command,
): { livenessProbe?: Record<string, unknown>; startupProbe?: Record<string, unknown> } {
  const parsed = parseHealth(source.health);
  if (!parsed) return {};
  const probe = parsed.kind === 'cmd' ? { ...parsed, command: inImage(parsed.command) } : parsed;
  const handler = probeHandler(probe);
  if (!handler) {
    notCarried.push(`--health ${probe.text}: Kubernetes has no probe that reads the log; give the app a tcp:, http: or cmd: check`);
    return {};
  }
  const period = seconds(source.healthIntervalMs ?? DEFAULT_HEALTH_INTERVAL_MS);
  const livenessProbe = {
    ...handler,
    initialDelaySeconds: period,
    periodSeconds: period,
    timeoutSeconds: seconds(source.healthTimeoutMs ?? DEFAULT_HEALTH_TIMEOUT_MS),
    failureThreshold: source.healthRetries ?? DEFAULT_HEALTH_RETRIES,
  };
  if (probe.kind === 'http') notes.push(`--health ${probe.text} → livenessProbe httpGet: the kubelet counts 2xx and 3xx as healthy, bgrun only 2xx`);
  if (probe.kind === 'cmd') notes.push(`--health ${probe.text} → livenessProbe exec (sh -c in the container's workingDir): the command must exist in the image; BGRUN_NAME and BGRUN_PID are not set`);
  const ready = parseReady(source.ready);
  const readyHandler = probeHandler(ready);
  if (!readyHandler) return { livenessProbe };
  const readyTimeout = source.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS;
  notes.push(
    `--health begins once --ready passed → a startupProbe (${ready!.text}) that holds the livenessProbe back; a pod not ready within ${seconds(readyTimeout)}s is restarted (bgrun began the checks anyway)`,
  );
  return {
    livenessProbe,
    startupProbe: { ...readyHandler, periodSeconds: READY_PERIOD_S, failureThreshold: Math.max(1, Math.ceil(seconds(readyTimeout) / READY_PERIOD_S)) },
  };
}
