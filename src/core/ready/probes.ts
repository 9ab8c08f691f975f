/**
 * The checks behind readiness probes (parse.ts): one attempt of a tcp, http, log
 * or delay probe, answering null when it passes, else why not yet.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import type { Probe } from './parse.js';

/** Where the logs ended before the launch: a log probe only looks at what comes after. */
export interface LogMark {
  file: string;
  offset: number;
  ino: number | null;
  /** An unfinished last line carried over to the next read. */
  carry: string;
}

export function markLogs(files: string[], lookbackBytes = 0): LogMark[] {
  return files.map((file) => {
    try {
      const st = fs.statSync(file);
      return { file, offset: Math.max(0, st.size - lookbackBytes), ino: st.ino, carry: '' };
    } catch {
      return { file, offset: 0, ino: null, carry: '' };
    }
  });
}

function readNewText(mark: LogMark): string {
  let st: fs.Stats;
  try {
    st = fs.statSync(mark.file);
  } catch {
    return '';
  }
  if ((mark.ino !== null && st.ino !== mark.ino) || st.size < mark.offset) {
    // Rotated or truncated since: start over at the beginning of what is there now.
    mark.offset = 0;
    mark.carry = '';
  }
  mark.ino = st.ino;
  if (st.size <= mark.offset) return '';
  const fd = fs.openSync(mark.file, 'r');
  try {
    const buf = Buffer.allocUnsafe(st.size - mark.offset);
    const read = fs.readSync(fd, buf, 0, buf.length, mark.offset);
    mark.offset += read;
    return buf.subarray(0, read).toString('utf8');
  } finally {
    fs.closeSync(fd);
  }
}

/** Whether a line matching `pattern` was written after the marks; moves them past what it read. */
export function logMatches(marks: LogMark[], pattern: RegExp): boolean {
  let found = false;
  for (const mark of marks) {
    const lines = (mark.carry + readNewText(mark)).split('\n');
    mark.carry = lines.pop() ?? '';
    if (lines.some((line) => pattern.test(line.replace(/\r$/, '')))) found = true;
    // A last line without its newline yet counts too ("Listening..." then nothing).
    if (!found && mark.carry !== '' && pattern.test(mark.carry)) found = true;
  }
  return found;
}

function describeNetError(error: NodeJS.ErrnoException): string {
  switch (error.code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ECONNRESET':
      return 'connection reset';
    case 'ETIMEDOUT':
      return 'timed out';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'unknown host';
    default:
      return error.code ?? error.message;
  }
}

/*
 * Attempt timeouts fire through setImmediate: on a loaded machine the process may
 * wake up with both its timer and the socket's answer due; timers run before I/O in
 * an event-loop turn, immediates after, so the answer (refused, 503) wins.
 */
/**
 * The network modules (with tls, crypto, dgram behind them) load only when a probe
 * runs: this file is reached by every command that reads config files.
 */
const requireBuiltin = createRequire(import.meta.url);

function tryTcp(host: string, port: number, timeoutMs: number): Promise<string | null> {
  const net = requireBuiltin('node:net') as typeof import('node:net');
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (reason: string | null) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(reason);
    };
    const timer = setTimeout(() => setImmediate(() => done('timed out')), timeoutMs);
    socket.once('connect', () => done(null));
    socket.once('error', (error) => done(describeNetError(error)));
  });
}

async function checkTcp(probe: Extract<Probe, { kind: 'tcp' }>, timeoutMs: number): Promise<string | null> {
  const reasons = await Promise.all(probe.hosts.map((host) => tryTcp(host, probe.port, timeoutMs)));
  if (reasons.includes(null)) return null;
  return reasons[0]!;
}

/** node:http without keep-alive: an idle pooled socket must not keep the CLI alive afterwards. */
function checkHttp(probe: Extract<Probe, { kind: 'http' }>, timeoutMs: number): Promise<string | null> {
  return new Promise((resolve) => {
    const client = requireBuiltin(probe.url.protocol === 'https:' ? 'node:https' : 'node:http') as typeof import('node:http');
    let settled = false;
    const done = (reason: string | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      request.destroy();
      resolve(reason);
    };
    const request = client.get(probe.url, { agent: false, headers: { 'user-agent': 'bgrun-ready' } }, (response) => {
      const status = response.statusCode ?? 0;
      response.resume();
      done(status >= 200 && status < 300 ? null : `HTTP ${status}`);
    });
    const timer = setTimeout(() => setImmediate(() => done('timed out')), timeoutMs);
    request.once('error', (error) => done(describeNetError(error)));
  });
}

/** null when the probe passes, else why not yet. */
export async function checkProbe(
  probe: Probe,
  state: { marks: LogMark[]; startedAt: number },
  timeoutMs: number,
): Promise<string | null> {
  switch (probe.kind) {
    case 'tcp':
      return checkTcp(probe, timeoutMs);
    case 'http':
      return checkHttp(probe, timeoutMs);
    case 'log':
      return logMatches(state.marks, probe.pattern) ? null : 'no matching line yet';
    case 'delay':
      return Date.now() - state.startedAt >= probe.ms ? null : 'not yet';
  }
}
