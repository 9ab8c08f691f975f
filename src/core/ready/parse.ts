/**
 * Readiness probes (`--ready`): when is a program that started actually usable?
 *
 *   tcp:PORT, tcp:HOST:PORT        a connection is accepted (no HOST: 127.0.0.1 or ::1)
 *   http://HOST:PORT/PATH          a GET answers 2xx (https too)
 *   log:/REGEX/flags, log:TEXT     a line of its stdout or stderr written since the start matches
 *   delay:DURATION                 it is still running this long after it started
 *
 * bgrun polls the probe after the grace period and fails with the stderr tail
 * when the program dies first or the timeout passes.
 */
import { UsageError } from '../../errors.js';
import { parseDuration } from '../duration.js';

/** How long a start waits for its probe unless told (`--ready-timeout`). */
export const DEFAULT_READY_TIMEOUT_MS = 30_000;

export type Probe =
  | { kind: 'tcp'; text: string; hosts: string[]; port: number }
  | { kind: 'http'; text: string; url: URL }
  | { kind: 'log'; text: string; pattern: RegExp }
  | { kind: 'delay'; text: string; ms: number };

const EXPECTED = 'expected tcp:PORT, tcp:HOST:PORT, http://HOST:PORT/PATH, log:/REGEX/ or delay:DURATION';

function parsePort(text: string): number | null {
  if (!/^\d{1,5}$/.test(text)) return null;
  const port = Number(text);
  return port >= 1 && port <= 65535 ? port : null;
}

/** The probe, or why `text` is not one (for messages of the CLI and of config files alike). */
export function tryParseProbe(text: string): Probe | string {
  const trimmed = text.trim();
  if (trimmed.startsWith('tcp:')) {
    const rest = trimmed.slice(4);
    const match = /^(?:(\[[^\]]+\]|[^:]+):)?([^:]*)$/.exec(rest);
    const port = match ? parsePort(match[2]!) : null;
    if (!match || port === null) return `expected tcp:PORT or tcp:HOST:PORT with a port from 1 to 65535, got "${text}"`;
    const host = match[1]?.replace(/^\[|\]$/g, '');
    const hosts = host === undefined || host === 'localhost' ? ['127.0.0.1', '::1'] : [host];
    return { kind: 'tcp', text: trimmed, hosts, port };
  }
  if (/^https?:\/\//i.test(trimmed)) {
    try {
      return { kind: 'http', text: trimmed, url: new URL(trimmed) };
    } catch {
      return `expected a URL such as http://127.0.0.1:3000/health, got "${text}"`;
    }
  }
  if (trimmed.startsWith('log:')) {
    const body = trimmed.slice(4);
    const literal = /^\/(.*)\/([a-z]*)$/s.exec(body);
    if (literal) {
      try {
        // g and y would make test() remember where it stopped; they mean nothing for one line.
        const pattern = new RegExp(literal[1]!, literal[2]!.replace(/[gy]/g, ''));
        if (literal[1] === '') return 'expected a non-empty regular expression after log:';
        return { kind: 'log', text: trimmed, pattern };
      } catch (error) {
        return `invalid regular expression in "${text}": ${(error as Error).message}`;
      }
    }
    if (body === '') return 'expected log:/REGEX/ or log:TEXT';
    return { kind: 'log', text: trimmed, pattern: new RegExp(body.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')) };
  }
  if (trimmed.startsWith('delay:')) {
    try {
      return { kind: 'delay', text: trimmed, ms: parseDuration(trimmed.slice(6)) };
    } catch {
      return `expected a duration after delay: such as 500ms, 2s or 1m, got "${text}"`;
    }
  }
  return `${EXPECTED}, got "${text}"`;
}

/** Parses a probe typed on the command line; a bad one is a usage error. */
export function parseProbe(text: string, what = '--ready'): Probe {
  const probe = tryParseProbe(text);
  if (typeof probe === 'string') throw new UsageError(`invalid ${what}: ${probe}`, 'INVALID_PROBE');
  return probe;
}
