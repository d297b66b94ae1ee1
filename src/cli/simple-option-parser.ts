/**
 * A parser for command lines whose options are all single `string` or `boolean` options (no
 * `default`, no `multiple`) — every tool's options — that gives exactly what `node:util`
 * parseArgs gives in strict mode with positionals allowed: the same values and positionals, and
 * for bad input the same error (code and message). Start-up time (issue #6): parseArgs is compiled
 * and its modules loaded on first use (~1.5 ms before `tsbpf opensnoop` can trace). The rules
 * below follow Node 20's lib/internal/util/parse_args (tokens first, then checks in token order);
 * a property test compares the two on random command lines.
 * @module
 */

/** One option as parseArgs describes it, limited to what this parser handles. */
export interface SimpleOptionConfig {
  /** `'string'` takes a value, `'boolean'` does not. */
  readonly type: 'string' | 'boolean';
  /** The one-character short form, without the dash. */
  readonly short?: string;
}

/** What {@link parseSimpleOptions} returns: parseArgs' `values` (null prototype) and `positionals`. */
export interface SimpleParseResult {
  /** Option values by long name: the string, or `true` for a boolean. */
  readonly values: Record<string, string | boolean | undefined>;
  /** Arguments that are not options, in order. */
  readonly positionals: string[];
}

/** An error like the one parseArgs throws: a TypeError with parseArgs' `code`. */
export class SimpleOptionError extends TypeError {
  /** `ERR_PARSE_ARGS_UNKNOWN_OPTION` or `ERR_PARSE_ARGS_INVALID_OPTION_VALUE`, as in Node. */
  readonly code: 'ERR_PARSE_ARGS_UNKNOWN_OPTION' | 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE';

  constructor(code: SimpleOptionError['code'], message: string) {
    super(message);
    this.code = code;
  }
}

/** Whether `options` holds only configurations {@link parseSimpleOptions} handles. */
export function isSimpleOptionTable(options: Readonly<Record<string, unknown>>): options is Readonly<Record<string, SimpleOptionConfig>> {
  for (const name of Object.keys(options)) {
    const config = options[name];
    if (typeof config !== 'object' || config === null) return false;
    for (const key of Object.keys(config)) if (key !== 'type' && key !== 'short') return false;
    const { type, short } = config as { type?: unknown; short?: unknown };
    if (type !== 'string' && type !== 'boolean') return false;
    if (Object.hasOwn(config, 'short') && (typeof short !== 'string' || short.length !== 1)) return false;
  }
  return true;
}

interface OptionToken {
  readonly name: string;
  readonly rawName: string;
  readonly value: string | undefined;
  readonly inlineValue: boolean | undefined;
}

/**
 * Parses `args` against `options` as `parseArgs({ args, options, strict: true, allowPositionals:
 * true })` does; throws a {@link SimpleOptionError} where parseArgs throws, with its message.
 */
export function parseSimpleOptions(args: readonly string[], options: Readonly<Record<string, SimpleOptionConfig>>): SimpleParseResult {
  const has = (name: string) => Object.hasOwn(options, name);
  const typeOf = (name: string) => (has(name) ? options[name].type : undefined);
  const longFor = (short: string) => {
    for (const name of Object.keys(options)) if (Object.hasOwn(options[name], 'short') && options[name].short === short) return name;
    return short;
  };
  const tokens: (OptionToken | string)[] = [];
  const remaining = [...args];
  while (remaining.length > 0) {
    const arg = remaining.shift()!;
    const next = remaining[0];
    if (arg === '--') {
      tokens.push(...remaining);
      break;
    }
    const short = arg.length >= 2 && arg[0] === '-' && arg[1] !== '-';
    if (short && arg.length === 2) {
      // `-p` (and its value from the next argument), `-x`.
      const name = longFor(arg[1]);
      const takes = typeOf(name) === 'string' && next !== undefined;
      tokens.push({ name, rawName: arg, value: takes ? remaining.shift() : undefined, inlineValue: takes ? false : undefined });
      continue;
    }
    if (short && typeOf(longFor(arg[1])) !== 'string') {
      // A group: `-xT` is `-x -T`, `-xp3` is `-x -p3`.
      const expanded: string[] = [];
      for (let i = 1; i < arg.length; i++) {
        if (typeOf(longFor(arg[i])) !== 'string' || i === arg.length - 1) expanded.push(`-${arg[i]}`);
        else {
          expanded.push(`-${arg.slice(i)}`);
          break;
        }
      }
      remaining.unshift(...expanded);
      continue;
    }
    if (short) {
      // `-p3`.
      tokens.push({ name: longFor(arg[1]), rawName: `-${arg[1]}`, value: arg.slice(2), inlineValue: true });
      continue;
    }
    if (arg.length > 2 && arg.startsWith('--')) {
      if (!arg.includes('=', 3)) {
        // `--pid` (and its value from the next argument), `--json`.
        const name = arg.slice(2);
        const takes = typeOf(name) === 'string' && next !== undefined;
        tokens.push({ name, rawName: arg, value: takes ? remaining.shift() : undefined, inlineValue: takes ? false : undefined });
      } else {
        // `--pid=3`.
        const eq = arg.indexOf('=');
        const name = arg.slice(2, eq);
        tokens.push({ name, rawName: `--${name}`, value: arg.slice(eq + 1), inlineValue: true });
      }
      continue;
    }
    tokens.push(arg);
  }

  const values: Record<string, string | boolean | undefined> = Object.create(null);
  const positionals: string[] = [];
  for (const token of tokens) {
    if (typeof token === 'string') {
      positionals.push(token);
      continue;
    }
    if (!has(token.name)) {
      throw new SimpleOptionError('ERR_PARSE_ARGS_UNKNOWN_OPTION', `Unknown option '${token.rawName}'. To specify a positional argument starting with a '-', place it at the end of the command after '--', as in '-- ${JSON.stringify(token.rawName)}`);
    }
    const config = options[token.name];
    const short = Object.hasOwn(config, 'short') ? config.short : undefined;
    const shortAndLong = `${short ? `-${short}, ` : ''}--${token.name}`;
    if (config.type === 'string' && typeof token.value !== 'string') throw new SimpleOptionError('ERR_PARSE_ARGS_INVALID_OPTION_VALUE', `Option '${shortAndLong} <value>' argument missing`);
    if (config.type === 'boolean' && token.value !== undefined) throw new SimpleOptionError('ERR_PARSE_ARGS_INVALID_OPTION_VALUE', `Option '${shortAndLong}' does not take an argument`);
    if (token.inlineValue !== true && token.value !== undefined && token.value.length > 1 && token.value[0] === '-') {
      const example = token.rawName.startsWith('--') ? `'${token.rawName}=-XYZ'` : `'--${token.name}=-XYZ' or '${token.rawName}-XYZ'`;
      throw new SimpleOptionError('ERR_PARSE_ARGS_INVALID_OPTION_VALUE', `Option '${token.rawName}' argument is ambiguous.\nDid you forget to specify the option argument for '${token.rawName}'?\nTo specify an option argument starting with a dash use ${example}.`);
    }
    if (token.name === '__proto__') continue;
    values[token.name] = token.value ?? true;
  }
  return { values, positionals };
}
