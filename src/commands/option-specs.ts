import type { OptionSpec } from '../cli-args.js';
import { START_OPTIONS } from '../options/start-options.js';

/**
 * The flags of start options (options/start-options.ts) as the argument parser takes them:
 * every option with a flag, or only those of `keys`; `help` rewords some for another command.
 */
export function startOptionSpecs(keys?: readonly string[], help: Record<string, string> = {}): OptionSpec[] {
  return START_OPTIONS.flatMap((o) =>
    o.flag === null || (keys !== undefined && !keys.includes(o.key))
      ? []
      : [
          {
            name: o.flag,
            short: o.short,
            aliases: o.aliases,
            type: o.kind.boolean ? ('boolean' as const) : o.kind.repeatable ? ('list' as const) : ('string' as const),
            endsOptions: o.kind.endsOptions,
            optionalValue: o.kind.optionalValue,
            value: o.kind.boolean ? undefined : o.kind.placeholder,
            description: help[o.key] ?? o.help,
            words: o.kind.words,
            complete: o.kind.complete,
          },
        ],
  );
}
