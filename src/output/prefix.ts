/**
 * Lines of several programs on one stream, each prefixed with its program's name,
 * aligned (`web    | …`, `worker | …`), as foreman and overmind print them. Standard
 * error is marked with `!` instead of `|`. On a terminal each name has its own colour;
 * with no colour (NO_COLOR, a pipe, a file) the text is plain. Used by `bgrun run` and
 * `bgrun logs all`.
 */

/** Cycled in the order the names are given; no red, which is for errors. */
const PALETTE = [36, 33, 32, 35, 34, 96, 93, 92, 95, 94] as const;

export type Stream = 'out' | 'err';

export interface Prefixer {
  /** The prefix of one line of `name`, separator and space included. */
  prefix(name: string, stream?: Stream): string;
  /** `line` with its prefix; a line of several (`a\nb`) is prefixed line by line. */
  line(name: string, text: string, stream?: Stream): string;
  /** The width the names are padded to. */
  readonly width: number;
}

/**
 * A prefixer for these names (the width is the longest; other names get a colour
 * too, and are never cut). With `color` false no escape sequence is ever written.
 */
export function createPrefixer(names: readonly string[], color: boolean): Prefixer {
  const width = names.reduce((w, n) => Math.max(w, n.length), 0);
  const colors = new Map<string, number>();
  for (const name of names) if (!colors.has(name)) colors.set(name, PALETTE[colors.size % PALETTE.length]!);
  const cache = new Map<string, string>();
  const prefix = (name: string, stream: Stream = 'out'): string => {
    const key = `${stream}\0${name}`;
    let text = cache.get(key);
    if (text === undefined) {
      const mark = stream === 'err' ? '!' : '|';
      const padded = name.padEnd(width);
      if (color) {
        if (!colors.has(name)) colors.set(name, PALETTE[colors.size % PALETTE.length]!);
        const sep = stream === 'err' ? `\x1b[31m${mark}\x1b[0m` : mark;
        text = `\x1b[${colors.get(name)}m${padded}\x1b[0m ${sep} `;
      } else {
        text = `${padded} ${mark} `;
      }
      cache.set(key, text);
    }
    return text;
  };
  return {
    width,
    prefix,
    line(name, text, stream = 'out') {
      const p = prefix(name, stream);
      return p + text.split('\n').join(`\n${p}`);
    },
  };
}

/**
 * Cuts a byte stream into lines for a prefixer: `push` returns the complete lines of
 * what arrived (the unfinished last one is kept for the next chunk), `end` the rest.
 * A line longer than `maxLine` characters is handed over in pieces, so a program that
 * never writes a newline cannot make bgrun hold its output forever.
 */
export class LineSplitter {
  private carry = '';
  private readonly decoder = new TextDecoder();

  constructor(private readonly maxLine = 64 * 1024) {}

  push(chunk: Uint8Array): string[] {
    const text = this.carry + this.decoder.decode(chunk, { stream: true });
    const lines = text.split('\n');
    this.carry = lines.pop() ?? '';
    while (this.carry.length > this.maxLine) {
      lines.push(this.carry.slice(0, this.maxLine));
      this.carry = this.carry.slice(this.maxLine);
    }
    return lines.map(stripCr);
  }

  /** The unfinished last line, if any (the stream ended without a newline). */
  end(): string[] {
    const rest = this.carry + this.decoder.decode();
    this.carry = '';
    return rest === '' ? [] : [stripCr(rest)];
  }
}

function stripCr(line: string): string {
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}
