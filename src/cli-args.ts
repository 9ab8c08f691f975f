import { suggest } from './suggest.js';
import { UsageError } from './errors.js';
import { pm2FlagHint, pm2ShortFlagHint } from './pm2-flags.js';

export interface OptionSpec {
  name: string;
  short?: string;
  /** boolean: a flag; string: one value; list: repeatable value. */
  type: 'boolean' | 'string' | 'list';
  value?: string;
  /** A value only in the `--name=value` form; `--name` alone gives '' (e.g. `--watch` or `--watch=src`). */
  optionalValue?: boolean;
  description: string;
  /** Its value is the program (`start -m pkg.mod`): what follows belongs to the program, like after a script. */
  endsOptions?: boolean;
  /** Other long names of the same option (values are kept under `name`). */
  aliases?: string[];
  /** The words a value is one of, for completion. */
  words?: readonly string[];
  /** What the shell completes a value with. */
  complete?: 'files' | 'dirs';
}

export interface Parsed {
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
  /** Everything after the program (start) or after `--`, untouched. */
  rest: string[];
  /** True when `--` was given. */
  dashDash: boolean;
}

/**
 * A small parser because the contract needs two things util.parseArgs lacks:
 * options stop at the program (its own options pass through untouched), and
 * `--` hands over a command.
 */
export function parseArgs(argv: string[], specs: OptionSpec[], options: { stopAtPositional?: boolean } = {}): Parsed {
  const values: Parsed['values'] = {};
  const positionals: string[] = [];
  const byName = new Map(specs.flatMap((s) => [s.name, ...(s.aliases ?? [])].map((n) => [n, s] as const)));
  const byShort = new Map(specs.filter((s) => s.short).map((s) => [s.short!, s]));
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') return { values, positionals, rest: argv.slice(i + 1), dashDash: true };
    if (arg.startsWith('-') && arg !== '-' && !/^-\d/.test(arg)) {
      let key: string;
      let inline: string | undefined;
      let spec: OptionSpec | undefined;
      if (arg.startsWith('--')) {
        const eq = arg.indexOf('=');
        key = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
        inline = eq >= 0 ? arg.slice(eq + 1) : undefined;
        spec = byName.get(key);
      } else {
        key = arg.slice(1, 2);
        inline = arg.length > 2 ? arg.slice(2) : undefined;
        spec = byShort.get(key);
      }
      if (!spec) {
        // A pm2 flag bgrun spells differently says how; else the closest of this command's options.
        const hint = arg.startsWith('--') ? pm2FlagHint(key) : pm2ShortFlagHint(key, (name) => byName.has(name));
        const near = hint === null && arg.startsWith('--') ? suggest(key, specs.map((s) => s.name)) : null;
        throw new UsageError(`unknown option '${arg}'; ${hint ?? (near ? `did you mean '--${near}'? See --help` : 'see --help')}`);
      }
      if (spec.type === 'boolean') {
        if (inline !== undefined) throw new UsageError(`option --${spec.name} takes no value`);
        values[spec.name] = true;
        continue;
      }
      let value = inline;
      if (value === undefined && spec.optionalValue) value = '';
      if (value === undefined) {
        if (i + 1 >= argv.length) throw new UsageError(`option --${spec.name} needs a value${spec.value ? ` ${spec.value}` : ''}`);
        value = argv[++i]!;
      }
      if (spec.type === 'list') values[spec.name] = [...((values[spec.name] as string[] | undefined) ?? []), value];
      else values[spec.name] = value;
      if (spec.endsOptions && options.stopAtPositional) return { values, positionals, rest: argv.slice(i + 1), dashDash: false };
      continue;
    }
    if (options.stopAtPositional) return { values, positionals: [arg], rest: argv.slice(i + 1), dashDash: false };
    positionals.push(arg);
  }
  return { values, positionals, rest: [], dashDash: false };
}

export function formatOptions(specs: OptionSpec[]): string {
  const rows = specs.map((s) => {
    const names = [s.name, ...(s.aliases ?? [])].map((n) => `--${n}`).join(', ');
    const flag = `${s.short ? `-${s.short}, ` : '    '}${names}${s.value ? (s.optionalValue ? `[=${s.value}]` : ` ${s.value}`) : ''}`;
    return [flag, s.description] as const;
  });
  const width = Math.max(...rows.map(([f]) => f.length));
  return rows.map(([f, d]) => `  ${f.padEnd(width)}  ${d}`).join('\n');
}

/** A string option's value (the last one given), or undefined. */
export function stringValue(values: Parsed['values'], name: string): string | undefined {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
}

/** A repeatable option's values, in order; [] when not given. */
export function listValue(values: Parsed['values'], name: string): string[] {
  const value = values[name];
  return Array.isArray(value) ? value : typeof value === 'string' ? [value] : [];
}
