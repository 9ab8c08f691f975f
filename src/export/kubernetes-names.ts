import { createHash } from 'node:crypto';
import { UsageError } from '../errors.js';

/**
 * bgrun names (letters of both cases, digits, `.`, `_`, `-`, up to 64) as Kubernetes
 * object names. Deployments, Jobs and Secrets need a DNS-1123 label (RFC 1123), a
 * Service a DNS-1035 label (it must start with a letter); both at most 63 characters.
 * One name serves all of an app's objects, so it follows the stricter rule.
 *
 * The rule, deterministic:
 *  1. lower-case; `_` and `.` become `-`; any other character outside [a-z0-9-] too;
 *     runs of `-` become one; `-` trimmed at both ends;
 *  2. a name starting with a digit gets `app-` in front;
 *  3. when step 1 dropped characters (a run of `-`, a `-` at an end), when the result is
 *     longer than 63 characters, or when two exported names map to the same one, the
 *     name ends with `-` and 5 hex digits of the SHA-256 of the bgrun name (cut to fit).
 * Lower-casing and `_`/`.` → `-` alone add no suffix: `My_API` is `my-api`.
 * A name with no letter or digit left cannot be mapped (a usage error, exit 2).
 */

export const DNS_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const MAX = 63;

const shortHash = (name: string) => createHash('sha256').update(name).digest('hex').slice(0, 5);

function withHash(base: string, name: string, max = MAX): string {
  const suffix = `-${shortHash(name)}`;
  const head = base.slice(0, max - suffix.length).replace(/-+$/, '');
  return `${head}${suffix}`;
}

/**
 * A CronJob's name is at most 52 characters (its Jobs add 11): a longer one is cut and
 * ends with the hash, like a name longer than 63.
 */
export const CRONJOB_NAME_MAX = 52;
export function fitName(kubeName: string, name: string, max: number): string {
  return kubeName.length <= max ? kubeName : withHash(kubeName, name, max);
}

/** The name without the collision rule: `lossy` when characters were dropped or cut. */
function baseName(name: string): { base: string; lossy: boolean } {
  const substituted = name.toLowerCase().replace(/[^a-z0-9]/g, '-');
  const collapsed = substituted.replace(/-{2,}/g, '-').replace(/^-+|-+$/g, '');
  if (!/[a-z0-9]/.test(collapsed)) {
    throw new UsageError(`the name '${name}' has no letter or digit to make a Kubernetes name from: rename the app`, 'EXPORT_FAILED');
  }
  const base = /^[0-9]/.test(collapsed) ? `app-${collapsed}` : collapsed;
  return { base, lossy: collapsed !== substituted || base.length > MAX };
}

/** One bgrun name on its own (no collision check). */
export function kubernetesName(name: string): string {
  const { base, lossy } = baseName(name);
  return lossy ? withHash(base, name) : base;
}

/**
 * The names of everything exported together: a name that collides with another one's
 * gets the hash suffix (each of the colliding ones that is not already its own mapping).
 */
export function kubernetesNames(names: string[]): Map<string, string> {
  const first = new Map(names.map((n) => [n, kubernetesName(n)]));
  const count = new Map<string, number>();
  for (const k of first.values()) count.set(k, (count.get(k) ?? 0) + 1);
  const result = new Map<string, string>();
  for (const [name, k] of first) {
    // The name that maps to itself keeps it; the others that collide with it take the suffix.
    const collides = (count.get(k) ?? 0) > 1 && k !== name;
    result.set(name, collides ? withHash(k, name) : k);
  }
  const seen = new Map<string, string>();
  for (const [name, k] of result) {
    const other = seen.get(k);
    if (other !== undefined) throw new UsageError(`'${other}' and '${name}' map to the same Kubernetes name '${k}': rename one`, 'EXPORT_FAILED');
    seen.set(k, name);
  }
  return result;
}
