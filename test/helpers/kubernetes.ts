import type { KubeSource } from '../../src/export/kubernetes-manifest.js';

/** An app to export as a plain start leaves it (no restart, no limits), with what the test sets. */
export function kubeSource(app: Pick<KubeSource, 'name' | 'command' | 'cwd'> & Partial<KubeSource>): KubeSource {
  return { envVars: {}, envFiles: [], restart: 'no', maxRestarts: null, minUptimeMs: 10_000, maxMemoryBytes: null, ...app };
}
