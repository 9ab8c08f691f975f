import type { SupervisionSettings } from '../core/supervision.js';
import { DEFAULT_KILL_TIMEOUT_MS } from '../core/supervision.js';
import { seconds } from './kubernetes-probes.js';

/**
 * The supervisor's settings (src/core/supervision.ts) on Kubernetes beyond probes and
 * schedules: the stop (grace period, signal) and a remark for each setting the kubelet
 * has no equivalent of, so none is dropped silently.
 */

export interface Remarks {
  notes: string[];
  notCarried: string[];
}

/** terminationGracePeriodSeconds: bgrun's SIGKILL comes --kill-timeout after the stop signal, the kubelet's this long after SIGTERM. */
export function gracePeriodSeconds(source: SupervisionSettings): number {
  return seconds(source.killTimeoutMs ?? DEFAULT_KILL_TIMEOUT_MS);
}

/**
 * The stop signal: the kubelet sends the image's STOPSIGNAL (SIGTERM unless it sets one),
 * so a generated Dockerfile carries it and anything else is a remark.
 */
export function stopSignalRemark(source: SupervisionSettings, dockerfile: boolean, remarks: Remarks): void {
  const signal = source.stopSignal;
  if (signal === undefined || signal === 'SIGTERM') return;
  if (dockerfile) remarks.notes.push(`--stop-signal ${signal} → STOPSIGNAL ${signal} in the generated Dockerfile (the container runtime stops with the image's signal)`);
  else remarks.notCarried.push(`--stop-signal ${signal}: Kubernetes stops a container with its image's STOPSIGNAL (SIGTERM by default): add STOPSIGNAL ${signal} to the image's Dockerfile`);
}

/** Remarks for the settings with no field: watch, exit codes, restart delays, exit hooks. */
export function supervisionRemarks(source: SupervisionSettings, kind: 'Deployment' | 'Job' | 'CronJob', remarks: Remarks): void {
  if (source.watch !== undefined) {
    remarks.notCarried.push('--watch: nothing restarts a pod when files change; build a new image and roll it out (kubectl set image, or kubectl rollout restart)');
  }
  const codes = (source.stopExitCodes ?? []).filter((c) => c !== 0);
  if (codes.length > 0) {
    remarks.notCarried.push(
      kind === 'Deployment'
        ? `--stop-exit-codes ${codes.join(',')}: a Deployment restarts its container whatever the exit code`
        : `--stop-exit-codes ${codes.join(',')}: a Job counts only exit 0 as done; other codes are retried up to backoffLimit`,
    );
  }
  if (source.restartDelayMs !== undefined) {
    remarks.notCarried.push(`--restart-delay ${seconds(source.restartDelayMs)}s: the kubelet waits 10s before a restart, doubling up to 5 minutes (CrashLoopBackOff)`);
  }
  if (source.expBackoffRestartDelayMs !== undefined) {
    remarks.notes.push('--exp-backoff-restart-delay → the kubelet\'s own doubling delay (10s up to 5 minutes, reset after 10 minutes of running)');
  }
  if (source.onExit !== undefined) {
    remarks.notCarried.push('--on-exit: Kubernetes runs no command when a container exits (a preStop hook runs only before a stop it asks for)');
  }
}
