/**
 * Builds the data of {@link ./opensnoop-prebuilt.generated.ts} from the eDSL programs of
 * opensnoop (the source of truth, `opensnoopPrograms`): every filter combination's instruction
 * bytes with the map references and the filter immediates located, so that `tsbpf opensnoop`
 * loads its programs without running the eDSL (start-up time, issue #6). The generated file is
 * written by `node --import tsx src/tools/gen-opensnoop-prebuilt.ts` and committed; a unit test
 * asserts that it equals what this builds now and that patching it equals compiling with the
 * filter values.
 * @module
 */

import { encode, mapType, programType, resolve } from 'ebpf-bytecode-utils';
import { compile, type CompiledProgram } from '../dsl/compile.js';
import { opensnoopPrograms, type OpensnoopProgramOptions } from './opensnoop.js';
import { SYS_ENTER_OPENAT_FORMAT, SYS_EXIT_OPENAT_FORMAT } from './syscall-tracepoint-formats.js';
import type { PrebuiltMap, PrebuiltProgram } from './prebuilt-program.js';
import { possibleCpuCount } from '../system/possible-cpus.js';
import { enterVariantKey, exitVariantKey, PATCHED_FILTERS } from './opensnoop-variants.js';

/** Two distinct values of a filter used to find its immediate. */
const PROBE_VALUES = [0x5a5a1234, 0x21436587] as const;

const FORMATS = { enter: SYS_ENTER_OPENAT_FORMAT, exit: SYS_EXIT_OPENAT_FORMAT };

/** Byte offsets of the `ld_imm64` map references (the imm field is at +4) by map name. */
function encodeWithMapRefs(p: CompiledProgram): { code: Uint8Array; mapRefs: { offset: number; map: string }[] } {
  const fake = Object.fromEntries(p.maps.map((m, i) => [m.name, 0x3e000000 + i]));
  const code = encode(resolve(p.insns, { maps: fake }).instructions);
  const dv = new DataView(code.buffer, code.byteOffset, code.byteLength);
  const mapRefs: { offset: number; map: string }[] = [];
  for (let off = 0; off < code.length; off += 8) {
    if (code[off] !== 0x18) continue;
    const src = code[off + 1] >> 4;
    const imm = dv.getInt32(off + 4, true);
    const i = imm - 0x3e000000;
    if (src === 1 && i >= 0 && i < p.maps.length) mapRefs.push({ offset: off, map: p.maps[i].name });
    off += 8; // the second slot of ld_imm64
  }
  if (mapRefs.length === 0 && p.maps.length > 0) throw new Error(`prebuilt ${p.name}: no map references found`);
  return { code, mapRefs };
}

function compileVariant(which: 'enter' | 'exit', options: OpensnoopProgramOptions): CompiledProgram {
  return compile(opensnoopPrograms({ ...options, formats: FORMATS })[which]);
}

function toPrebuilt(p: CompiledProgram, patches: Record<string, number>): PrebuiltProgram {
  const { code, mapRefs } = encodeWithMapRefs(p);
  return { name: p.name, progType: programType(p.progType), license: p.license, code: Buffer.from(code).toString('base64'), mapRefs, patches, maps: p.maps.map((m): PrebuiltMap => {
    if (m.innerMap !== undefined) throw new Error(`prebuilt ${p.name}: map-in-map '${m.name}' is not supported`);
    // A perf event array's size is the possible CPU count of the machine it runs on.
    const perCpu = m.type === 'perf_event_array' && m.maxEntries === possibleCpuCount();
    return { name: m.name, mapType: mapType(m.type), keySize: m.keySize, valueSize: m.valueSize, maxEntries: perCpu ? 0 : m.maxEntries, flags: m.flags };
  }) };
}

/** The byte offset of the 32-bit immediate that holds `key`'s value in entry variant `filters`. */
function findPatch(filters: Record<string, number>, key: string): number {
  const [a, b] = PROBE_VALUES.map((v) => encodeWithMapRefs(compileVariant('enter', { ...filters, [key]: v })).code);
  if (a.length !== b.length) throw new Error(`prebuilt: the ${key} filter's value changes the program's length`);
  const diff: number[] = [];
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) diff.push(i);
  const off = diff.length === 0 ? -1 : diff[0] - (diff[0] % 8) + 4;
  const dv = new DataView(a.buffer, a.byteOffset);
  if (off < 0 || diff.some((i) => i < off || i >= off + 4) || dv.getUint32(off, true) !== PROBE_VALUES[0]) {
    throw new Error(`prebuilt: the ${key} filter's value is not one 32-bit immediate`);
  }
  return off;
}

/** The prebuilt form of every opensnoop variant. */
export interface OpensnoopPrebuiltData {
  /** Entry programs by {@link enterVariantKey}. */
  readonly enter: Readonly<Record<string, PrebuiltProgram>>;
  /** Exit programs by {@link exitVariantKey}. */
  readonly exit: Readonly<Record<string, PrebuiltProgram>>;
}

/** Builds every variant of opensnoop's programs with the eDSL (filter values 0 before patching). */
export function buildOpensnoopPrebuilt(): OpensnoopPrebuiltData {
  const enter: Record<string, PrebuiltProgram> = {};
  for (let mask = 0; mask < 1 << PATCHED_FILTERS.length; mask++) {
    const keys = PATCHED_FILTERS.filter((_, i) => (mask & (1 << i)) !== 0);
    const filters = Object.fromEntries(keys.map((k) => [k, 0]));
    const patches = Object.fromEntries(keys.map((k) => [k, findPatch(filters, k)]));
    enter[enterVariantKey(filters)] = toPrebuilt(compileVariant('enter', filters), patches);
  }
  const exit: Record<string, PrebuiltProgram> = {};
  for (const transport of ['perf', 'ring'] as const) {
    for (const failed of [false, true]) exit[exitVariantKey({ transport, failed })] = toPrebuilt(compileVariant('exit', { transport, failed }), {});
  }
  return { enter, exit };
}

/** The TypeScript source of the generated module for `data`. */
export function opensnoopPrebuiltSource(data: OpensnoopPrebuiltData): string {
  return `// Generated by src/tools/gen-opensnoop-prebuilt.ts from the eDSL programs of src/tools/opensnoop.ts
// (src/tools/opensnoop-prebuilt-build.ts). Do not edit; regenerate after changing the programs or
// the compiler (test/unit/opensnoop-prebuilt.test.ts fails until then).
/**
 * opensnoop's programs, prebuilt: every filter combination as instruction bytes, so that
 * \`tsbpf opensnoop\` starts without running the eDSL.
 * @module
 */

import type { PrebuiltProgram } from './prebuilt-program.js';

/** Entry programs by variant (which of pid/tid/uid filter). */
export const OPENSNOOP_ENTER: Readonly<Record<string, PrebuiltProgram>> = ${JSON.stringify(data.enter, null, 1)};

/** Exit programs by variant (transport, failed-only). */
export const OPENSNOOP_EXIT: Readonly<Record<string, PrebuiltProgram>> = ${JSON.stringify(data.exit, null, 1)};
`;
}
