/**
 * One line of progress for long work (a config start, stop all, resurrect): `starting
 * 12/150: db (waiting for tcp:5432)`, redrawn in place on stderr, only when stderr is a
 * terminal and the output is not JSON: piped or redirected, nothing is written. Lines
 * printed while it shows go through `io` (see withProgress), which clears it first.
 */
import type { Io } from '../stdio.js';
import { isTerminal, writeAll } from '../stdio.js';

const REDRAW_MS = 100;

export interface Progress {
  /** Work on `name` began; `detail` says what it waits for (a readiness probe). */
  begin(name: string, detail?: string): void;
  /** Work on `name` is over, whatever its outcome. */
  end(name: string): void;
  /** Clears the line for good. */
  finish(): void;
  /** How many pieces there are, when that was not known at creation. */
  setTotal(total: number): void;
  /** The Io to print through while the line shows. */
  readonly io: Io;
}

/** The line itself, for tests. */
export function progressText(verb: string, done: number, total: number, active: Map<string, string | undefined>, width: number): string {
  const names = [...active].map(([name, detail]) => (detail ? `${name} (${detail})` : name));
  const shown = names.slice(0, 3).join(', ') + (names.length > 3 ? `, ${names.length - 3} more` : '');
  const text = `${verb} ${done}/${total}${shown ? `: ${shown}` : ''}`;
  return text.length > width - 1 ? `${text.slice(0, Math.max(0, width - 2))}…` : text;
}

const QUIET: Omit<Progress, 'io'> = { begin() {}, end() {}, finish() {}, setTotal() {} };

/**
 * A progress line for `total` pieces of work, or one that writes nothing when stderr
 * is not a terminal or the output is JSON; nothing either for a single piece.
 */
export function createProgress(io: Io, verb: string, total: number, options: { json?: boolean; enabled?: boolean } = {}): Progress {
  const enabled = options.enabled ?? (!options.json && isTerminal(2));
  if (!enabled) return { ...QUIET, io };
  const active = new Map<string, string | undefined>();
  let done = 0;
  let shown = false;
  let last = 0;
  let timer: NodeJS.Timeout | null = null;
  let finished = false;
  const width = () => (process.stderr.columns || 80) as number;
  const clear = () => {
    if (shown) writeAll(2, '\r\x1b[K');
    shown = false;
  };
  const draw = () => {
    if (finished || total < 2) return;
    if (timer) clearTimeout(timer);
    timer = null;
    last = Date.now();
    writeAll(2, `\r\x1b[K${progressText(verb, done, total, active, width())}`);
    shown = true;
  };
  const schedule = () => {
    if (finished || timer) return;
    const wait = REDRAW_MS - (Date.now() - last);
    if (wait <= 0) draw();
    else {
      timer = setTimeout(draw, wait);
      timer.unref();
    }
  };
  const around =
    (print: (line: string) => void) =>
    (line: string): void => {
      const was = shown;
      clear();
      print(line);
      if (was) draw();
    };
  return {
    begin(name, detail) {
      active.set(name, detail);
      schedule();
    },
    end(name) {
      active.delete(name);
      done++;
      schedule();
    },
    setTotal(n) {
      total = n;
    },
    finish() {
      if (timer) clearTimeout(timer);
      timer = null;
      clear();
      finished = true;
    },
    io: {
      out: around(io.out),
      err: around(io.err),
      get color() {
        return io.color;
      },
    },
  };
}
