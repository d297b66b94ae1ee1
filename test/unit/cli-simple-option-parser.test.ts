/**
 * src/cli/simple-option-parser.ts against its oracle, node:util parseArgs (strict, positionals
 * allowed): on random command lines, over opensnoop's option table and over random tables, both
 * give the same values and positionals, or throw errors with the same code and message; and
 * parseCommandArgs, which uses it, turns them into the same one-line usage messages.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { parseArgs } from 'node:util';
import { isSimpleOptionTable, parseSimpleOptions, type SimpleOptionConfig } from '../../src/cli/simple-option-parser.js';
import { parseCommandArgs, UsageError } from '../../src/cli/command.js';
import { OPENSNOOP_OPTIONS } from '../../src/cli/commands/opensnoop.js';

type Outcome = { ok: { values: Record<string, unknown>; positionals: string[] } } | { code: unknown; message: string; type: boolean };

function outcome(run: () => { values: object; positionals: string[] }): Outcome {
  try {
    const r = run();
    return { ok: { values: { ...r.values }, positionals: r.positionals } };
  } catch (e) {
    return { code: (e as { code?: unknown }).code, message: (e as Error).message, type: e instanceof TypeError };
  }
}

function nodeParse(args: string[], options: Readonly<Record<string, SimpleOptionConfig>>): Outcome {
  return outcome(() => parseArgs({ args, options: options as never, strict: true, allowPositionals: true }));
}

const WITH_HELP = { ...OPENSNOOP_OPTIONS, help: { type: 'boolean', short: 'h' } } as const;

/** Pieces people type, plus fragments that hit the parser's corners (dashes, '=', quotes, newlines). */
const SHORTS = ['p', 't', 'u', 'n', 'x', 'd', 'T', 'U', 'e', 'h', 'q', 'j'];
const piece = fc.oneof(
  fc.constantFrom('-p', '--pid', '-x', '--failed', '-xT', '-xp', '-px', '-xTp3', '--json', '--json=1', '--pid=3', '--pid=-1', '-p-1', '--', '-', '---', '-h', '--help', '-q', '--nope', '--=a', '-x=1', '--ringbuf', '-d', '0.5', '42', '--__proto__', '--toString', '-U', "--a'b", 'opensnoop'),
  fc.string({ unit: fc.constantFrom('-', '-', '=', "'", '\n', ...SHORTS, '1', 'pid', 'json'), maxLength: 7 }),
);
const argv = fc.array(piece, { maxLength: 6 });

test('opensnoop\'s table: the same result or the same error as parseArgs on random command lines', () => {
  assert.ok(isSimpleOptionTable(WITH_HELP));
  fc.assert(
    fc.property(argv, (args) => {
      assert.equal(outcome(() => parseSimpleOptions(args, WITH_HELP)), nodeParse(args, WITH_HELP), JSON.stringify(args));
    }),
    { numRuns: 5000 },
  );
});

test('random option tables: the same result or the same error as parseArgs', () => {
  const name = fc.string({ unit: fc.constantFrom('a', 'b', 'p', 'x', '-', '=', '_'), minLength: 1, maxLength: 4 });
  const config = fc.record({ type: fc.constantFrom('string' as const, 'boolean' as const), short: fc.constantFrom('a', 'b', 'p', 'x', '-', '=') }, { requiredKeys: ['type'] });
  const table = fc.dictionary(name, config, { maxKeys: 5 });
  const words = fc.array(fc.oneof(piece, fc.string({ unit: fc.constantFrom('a', 'b', 'p', 'x', '-', '=', '_', '1'), maxLength: 6 })), { maxLength: 6 });
  fc.assert(
    fc.property(table, words, (options, args) => {
      assert.ok(isSimpleOptionTable(options));
      assert.equal(outcome(() => parseSimpleOptions(args, options)), nodeParse(args, options), JSON.stringify({ options, args }));
    }),
    { numRuns: 5000 },
  );
});

test('parseCommandArgs: the same one-line usage messages as on the parseArgs path', () => {
  const cases: [string[], string][] = [
    [['-p'], "option '-p, --pid <value>' argument missing"],
    [['-p', '-x'], "option '-p' argument is ambiguous"],
    [['--pid', '--json'], "option '--pid' argument is ambiguous"],
    [['--json=1'], "option '--json' does not take an argument"],
    [['-xq'], "unknown option '-q'"],
    [["--a'b"], "unknown option '--a'"],
  ];
  for (const [args, message] of cases) {
    try {
      parseCommandArgs(args, WITH_HELP);
      assert.unreachable(`${JSON.stringify(args)} parsed`);
    } catch (e) {
      assert.instance(e, UsageError);
      assert.is((e as Error).message, message);
    }
  }
  assert.equal({ ...parseCommandArgs(['-xp3', '--json', 'a', '--', '-T'], WITH_HELP).values }, { failed: true, pid: '3', json: true });
});

test('tables with defaults, multiple values or long shorts are not simple (parseArgs handles them)', () => {
  assert.not.ok(isSimpleOptionTable({ a: { type: 'string', default: 'x' } }));
  assert.not.ok(isSimpleOptionTable({ a: { type: 'string', multiple: true } }));
  assert.not.ok(isSimpleOptionTable({ a: { type: 'boolean', short: 'ab' } }));
  assert.not.ok(isSimpleOptionTable({ a: { type: 'number' } }));
  assert.not.ok(isSimpleOptionTable({ a: { type: 'string', short: undefined } }), 'parseArgs rejects a short that is there but undefined');
  assert.ok(isSimpleOptionTable({ a: { type: 'string', short: 'a' }, b: { type: 'boolean' } }));
});

test.run();
