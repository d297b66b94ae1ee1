// Properties: the assembler reads back what both disassemblers print, and no text makes it
// throw anything but AsmSyntaxError.
//
// What each syntax cannot show, and the generators therefore leave out or normalise:
// - kernel text: a kfunc call's module BTF index (`off`) — generated as 0; a pseudo ld_imm64's
//   source, unless the disassembler is given pseudoImmName (then every source round-trips);
// - LLVM text (`llvm-objdump -d`): the source of a call (`call N` for helpers, subprograms and
//   kfuncs alike) — only helper calls are generated; the high half of a pseudo ld_imm64
//   (`ld_pseudo r1, 2, 5`) — generated as 0; the imm of `skb[rN]` — generated as 0.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { AsmSyntaxError, assemble, disassembleKernel, disassembleLlvm, encode, makeInstruction, pseudoImmName, type Instruction } from 'ebpf-bytecode-utils';
import { anyInstruction, classicInstruction } from '../support/arbitrary.js';

const hex = (insns: readonly Instruction[]) => Buffer.from(encode(insns)).toString('hex');

/** Every valid form as the kernel's text can show it. */
const kernelShowable = anyInstruction.map((x) => (x.code === 0x85 && x.src === 2 ? makeInstruction(x.code, x.dst, x.src, 0, x.imm) : x));

/** Every valid form as llvm-objdump's text can show it. */
const llvmShowable = anyInstruction
  .filter((x) => !(x.code === 0x85 && x.src !== 0))
  .map((x) => {
    if (x.code === 0x18 && x.src !== 0) return makeInstruction(x.code, x.dst, x.src, x.off, BigInt.asUintN(32, x.imm as bigint));
    if ((x.code & 0xe7) === 0x40) return makeInstruction(x.code, x.dst, x.src, x.off, 0);
    return x;
  });

const runs = { numRuns: 3000 };

test('kernel syntax: assemble(disassembleKernel(x)) gives x’s bytes, one instruction at a time', () => {
  fc.assert(
    fc.property(kernelShowable, (x) => {
      const text = disassembleKernel([x], { immName: pseudoImmName }).join('\n');
      assert.is(hex(assemble(text).instructions), hex([x]), text);
    }),
    runs,
  );
});

test('kernel syntax: whole programs, with and without the `N: (op) ` prefixes', () => {
  fc.assert(
    fc.property(fc.array(kernelShowable, { maxLength: 40 }), (program) => {
      const lines = disassembleKernel(program, { immName: pseudoImmName });
      assert.is(hex(assemble(lines.join('\n')).instructions), hex(program));
      // Without prefixes a small ld_imm64 value reads as a mov: keep the (18) opcode there.
      const bare = lines.map((l) => l.replace(/^\d+: (?!\(18\))\([0-9a-f]{2}\) /, '').replace(/^\d+: /, ''));
      assert.is(hex(assemble(bare.join('\n')).instructions), hex(program));
    }),
    { numRuns: 500 },
  );
});

test('kernel syntax without pseudoImmName: only a pseudo ld_imm64’s source is lost', () => {
  fc.assert(
    fc.property(kernelShowable, (x) => {
      const want = x.code === 0x18 ? makeInstruction(x.code, x.dst, 0, x.off, x.imm) : x;
      assert.is(hex(assemble(disassembleKernel([x]).join('\n')).instructions), hex([want]));
    }),
    runs,
  );
});

test('LLVM syntax: assemble(disassembleLlvm(x)) gives x’s bytes, one instruction at a time and as programs', () => {
  fc.assert(
    fc.property(llvmShowable, (x) => {
      const text = disassembleLlvm([x]).join('\n');
      assert.is(hex(assemble(text).instructions), hex([x]), text);
    }),
    runs,
  );
  fc.assert(
    fc.property(fc.array(llvmShowable, { maxLength: 40 }), (program) => {
      assert.is(hex(assemble(disassembleLlvm(program).join('\n')).instructions), hex(program));
    }),
    { numRuns: 500 },
  );
});

/** Fragments of real syntax, so random text reaches deep into the parser. */
const fragment = fc.constantFrom(
  'r0', 'r1', 'w2', 'r10', 'r11', 'w01', '=', '+=', 's>>=', 's/=', '-', '+', '*', '(', ')', '[', ']', ',', ':', '#', ';', '//', '/*', '*/', '<', '>',
  '==', 's<=', '&', 'u8', 'u64', 's32', '*(u32 *)', '(r1 + 4)', '(r10 -8)', 'skb', 'll', 'goto', 'gotol', 'pc+3', 'pc-', '+3', '-0x10', '0x', '0b1',
  '99999999999999999999999', '4294967296', '-2147483649', 'if', 'call', 'exit', 'lock', 'atomic64_fetch_add', 'xchg_64', 'cmpxchg32_32', 'load_acquire',
  'store_release', 'addr_space_cast', 'map[fd:', 'map[idx:1]+', 'subprog[', 'ksym[id:1][fd:', 'ld_pseudo', 'bpf_map_lookup_elem#1', 'kernel-function#',
  'LBB0_2', '.LBB0_2:', 'foo:', '.text', '.section', '"x","ax"', '.byte', '0:', '12:', '(b7)', '(18)', 'b7 00', '<unknown>', 'R1=ctx()', 'processed',
  'from 4 to 6:', 'func#0', 'BUG_ld_00', ' ', '\t', '\n', '\r\n', 'é', '\u0000',
);

const noisyText = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.array(fragment, { maxLength: 30 }).map((parts) => parts.join(' ')),
  fc.array(fragment, { maxLength: 30 }).map((parts) => parts.join('')),
  // A valid line with one character changed, inserted or removed.
  fc.tuple(fc.oneof(anyInstruction, classicInstruction), fc.boolean(), fc.nat(), fc.string({ minLength: 1, maxLength: 1 }), fc.constantFrom('replace', 'insert', 'delete')).map(
    ([x, kernel, at, ch, how]) => {
      const line = kernel ? disassembleKernel([x], { immName: pseudoImmName })[0] : disassembleLlvm([x])[0];
      const i = at % (line.length + 1);
      if (how === 'insert') return line.slice(0, i) + ch + line.slice(i);
      if (how === 'delete') return line.slice(0, i) + line.slice(i + 1);
      return line.slice(0, i) + ch + line.slice(i + 1);
    },
  ),
);

test('any text: assemble() returns or throws AsmSyntaxError, nothing else', () => {
  fc.assert(
    fc.property(noisyText, (text) => {
      try {
        assemble(text);
      } catch (e) {
        if (!(e instanceof AsmSyntaxError)) throw e;
        assert.ok(e.line >= 1 && e.column >= 1, e.message);
        assert.ok(!e.message.includes('\n'), 'one-line message');
      }
    }),
    { numRuns: 20000 },
  );
});

test.run();
