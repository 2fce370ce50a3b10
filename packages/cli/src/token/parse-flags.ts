import { parseArgs } from 'node:util';
import type { ParseArgsConfig } from 'node:util';
import { AuthError, quote } from '@iam-authenticator/core';

export type FlagSpec = NonNullable<ParseArgsConfig['options']>;
export type FlagValues = Record<string, string | boolean | undefined>;

/**
 * node:util parseArgs in strict mode, with its errors turned into one short usage_error line
 * (its own messages run to three sentences).
 */
export function parseFlags(args: readonly string[], options: FlagSpec, command: string): FlagValues {
  try {
    return parsePflagArgs(args, options) as FlagValues;
  } catch (error) {
    throw new AuthError('usage_error', `${command}: ${describeParseError(error)}`);
  }
}

/** What parseArgs gives for `options` in strict, flags-only mode. */
export type PflagValues<T extends FlagSpec> = ReturnType<
  typeof parseArgs<{ args: string[]; options: T; strict: true; allowPositionals: false }>
>['values'];

/**
 * node:util parseArgs (strict, flags only) over arguments written for the reference's flag library:
 * its `--flag=true|false` and `-i=VALUE` forms are read as pflag reads them (goBooleans). Throws what
 * parseArgs throws; each command words the usage error its own way.
 */
export function parsePflagArgs<T extends FlagSpec>(args: readonly string[], options: T): PflagValues<T> {
  const go = goBooleans(args, options);
  const { values } = parseArgs({ args: go.args, options, strict: true, allowPositionals: false });
  return { ...values, ...go.values };
}

/** Go's strconv.ParseBool, which pflag uses for `--flag=value` of a boolean flag. */
const GO_BOOLEANS: Readonly<Record<string, boolean>> = {
  '1': true,
  t: true,
  T: true,
  true: true,
  TRUE: true,
  True: true,
  '0': false,
  f: false,
  F: false,
  false: false,
  FALSE: false,
  False: false,
};

/**
 * The reference's flag library (pflag) also takes `--flag=true` / `--flag=false` for a boolean flag,
 * and scripts written for it do so. parseArgs refuses a value there, so such arguments are taken out
 * and their last value per flag is returned; a value Go would refuse is left for parseArgs to refuse.
 * pflag also reads `-i=c` as `-i c` for a string flag (parseArgs would take `=c`); that is rewritten.
 */
export function goBooleans(
  args: readonly string[],
  options: FlagSpec,
): { args: string[]; values: Record<string, boolean> } {
  const rest: string[] = [];
  const values = new Map<string, boolean>();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    if (arg === '--') {
      rest.push(...args.slice(i));
      break;
    }
    const match = /^--([^=]+)=(.*)$/s.exec(arg);
    const name = match?.[1];
    const value = match?.[2];
    const parsed = value !== undefined && Object.hasOwn(GO_BOOLEANS, value) ? GO_BOOLEANS[value] : undefined;
    if (name !== undefined && options[name]?.type === 'boolean' && parsed !== undefined) {
      values.set(name, parsed);
      continue;
    }
    // pflag reads `-i=c` as `-i c`; parseArgs would take `=c` as the value.
    const short = /^-([A-Za-z0-9])=(.*)$/s.exec(arg);
    const option = short === null ? undefined : shortOption(options, short[1] ?? '');
    if (short !== null && option !== undefined && options[option]?.type === 'string') {
      rest.push(`--${option}`, short[2] ?? '');
      continue;
    }
    if (arg.startsWith('--')) {
      const plain = arg.slice(2);
      // A later plain `--name` wins over an earlier `--name=false`.
      if (options[plain]?.type === 'boolean') values.delete(plain);
    }
    rest.push(arg);
  }
  return { args: rest, values: Object.fromEntries(values) };
}

/** The long name of the option whose short name is `letter`. */
function shortOption(options: FlagSpec, letter: string): string | undefined {
  return Object.entries(options).find(([, option]) => option.short === letter)?.[0];
}

function describeParseError(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  const message = error instanceof Error ? error.message : String(error);
  const option = /'([^']+)'/.exec(message)?.[1];
  switch (code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown flag ${quote(option ?? message)}`;
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return `unexpected argument ${quote(option ?? message)}: this command takes flags only`;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      return /does not take an argument/.test(message)
        ? `flag ${quote(option ?? message)} takes no value`
        : `flag ${quote(option ?? message)} expects a value`;
    default:
      return message.charAt(0).toLowerCase() + message.slice(1);
  }
}

/** The last value of a flag given as a string (parseArgs keeps only the last one anyway). */
export function stringFlag(values: FlagValues, name: string): string | undefined {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
}

export function booleanFlag(values: FlagValues, name: string): boolean | undefined {
  const value = values[name];
  return typeof value === 'boolean' ? value : undefined;
}

/** Two spellings of one flag (`--cluster-id`/`--cluster-name`, `-r`/`--role-arn`) must agree. */
export function oneOf(values: FlagValues, names: readonly string[]): string | undefined {
  let found: { name: string; value: string } | undefined;
  for (const name of names) {
    const value = stringFlag(values, name);
    if (value === undefined) continue;
    if (found !== undefined && found.value !== value) {
      throw new AuthError(
        'usage_error',
        `--${found.name} ${quote(found.value)} and --${name} ${quote(value)} name the same setting: give one`,
      );
    }
    found = { name, value };
  }
  return found?.value;
}
