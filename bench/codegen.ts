// Code size of the tools' eDSL programs against clang-14 -O2 on the equivalent C
// (bench/codegen/*.bpf.c): instructions per program, counted the same way on both sides (an
// ld_imm64 is one instruction: llvm-objdump prints it on one line; the eDSL's CompiledProgram has
// it as one Instruction). Target (issue #6): each within 1.25× of clang. The last row is a kfunc
// example (the open-coded numeric iterator) rather than a tool.
//
// The eDSL programs are built with the tracefs formats bundled in src/tools (no tracefs needed);
// execsnoop's task_struct offsets come from the running kernel's BTF and are passed to the C as
// -DTASK_REAL_PARENT / -DTASK_TGID, so both read the same fields.
//
// Usage: node --import tsx bench/codegen.ts
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseTracepointFormat } from '../src/tracefs/format.js';
import { compile, type CompiledProgram } from '../src/dsl/compile.js';
import { program } from '../src/dsl/program.js';
import { u32 } from '../src/dsl/c-types.js';
import { opensnoopPrograms } from '../src/tools/opensnoop.js';
import { execsnoopPrograms } from '../src/tools/execsnoop.js';
import { syscountPrograms } from '../src/tools/syscount.js';
import { kernelBtf } from '../src/dsl/kernel-btf.js';
import { SYS_ENTER_OPENAT_FORMAT, SYS_EXIT_OPENAT_FORMAT } from '../src/tools/syscall-tracepoint-formats.js';

const here = path.join(path.dirname(fileURLToPath(import.meta.url)), 'codegen');
const tmp = mkdtempSync(path.join(tmpdir(), 'tsbpf-codegen-'));

const common = `	field:unsigned short common_type;	offset:0;	size:2;	signed:0;
	field:unsigned char common_flags;	offset:2;	size:1;	signed:0;
	field:unsigned char common_preempt_count;	offset:3;	size:1;	signed:0;
	field:int common_pid;	offset:4;	size:4;	signed:1;
`;
const fmt = (name: string, fields: string) => parseTracepointFormat(`name: ${name}\nID: 1\nformat:\n${common}\n${fields}\nprint fmt: ""\n`);
const execEnter = fmt('sys_enter_execve', `	field:int __syscall_nr;	offset:8;	size:4;	signed:1;
	field:const char * filename;	offset:16;	size:8;	signed:0;
	field:const char *const * argv;	offset:24;	size:8;	signed:0;
	field:const char *const * envp;	offset:32;	size:8;	signed:0;`);
const execExit = fmt('sys_exit_execve', `	field:int __syscall_nr;	offset:8;	size:4;	signed:1;
	field:long ret;	offset:16;	size:8;	signed:1;`);
const rawExit = fmt('sys_exit', `	field:long id;	offset:8;	size:8;	signed:1;
	field:long ret;	offset:16;	size:8;	signed:1;`);

/** Instructions per function of a clang-14 -O2 BPF object. */
function clangCounts(file: string, defines: readonly string[] = []): Record<string, number> {
  const obj = path.join(tmp, `${path.basename(file)}.o`);
  execFileSync('clang-14', ['-target', 'bpf', '-O2', '-g0', ...defines, '-c', path.join(here, file), '-o', obj]);
  const text = execFileSync('llvm-objdump', ['-d', '--no-show-raw-insn', obj], { encoding: 'utf8' });
  const counts: Record<string, number> = {};
  let current: string | undefined;
  for (const line of text.split('\n')) {
    const fn = /^[0-9a-f]+ <([A-Za-z_][\w]*)>:$/.exec(line);
    if (fn !== null && !fn[1].startsWith('LBB')) current = fn[1];
    else if (current !== undefined && /^\s+\d+:/.test(line)) counts[current] = (counts[current] ?? 0) + 1;
  }
  return counts;
}

/** Byte offset of member `name` of the running kernel's `struct task_struct` (for the C side's -D flags). */
function taskMemberOffset(name: string): number {
  const t = kernelBtf().find('struct', 'task_struct') as { members?: readonly { name: string; bitOffset: number }[] } | undefined;
  const m = t?.members?.find((x) => x.name === name);
  if (m === undefined) throw new Error(`kernel BTF: struct task_struct has no member '${name}'`);
  return m.bitOffset / 8;
}
const task = { realParent: taskMemberOffset('real_parent'), tgid: taskMemberOffset('tgid') };
const rows: { tool: string; program: string; edsl: number; clang: number }[] = [];
function compare(tool: string, file: string, programs: readonly CompiledProgram[], defines: readonly string[] = []): void {
  const c = clangCounts(file, defines);
  for (const p of programs) rows.push({ tool, program: p.name, edsl: p.insns.length, clang: c[p.name] ?? NaN });
}

try {
  const open = opensnoopPrograms({ formats: { enter: SYS_ENTER_OPENAT_FORMAT, exit: SYS_EXIT_OPENAT_FORMAT } });
  compare('opensnoop', 'opensnoop.bpf.c', [compile(open.enter), compile(open.exit)]);
  const exec = execsnoopPrograms({ formats: { enter: execEnter, exit: execExit } });
  compare('execsnoop', 'execsnoop.bpf.c', [compile(exec.enter), compile(exec.exit)], [`-DTASK_REAL_PARENT=${task.realParent}`, `-DTASK_TGID=${task.tgid}`]);
  const sc = syscountPrograms({ formats: { exit: rawExit } });
  compare('syscount', 'syscount.bpf.c', [compile(sc.exit)]);
  // kfuncs are looked up in the running kernel's BTF (Linux 6.4+ for the numeric iterator).
  const iterSum = program('iter_sum', 'xdp', ($) => {
    const sum = $.let(u32, 0);
    $.iterNum(0, 10, (i) => sum.set(sum.add(i.cast(u32))));
    return sum;
  });
  compare('kfunc', 'iter-num.bpf.c', [compile(iterSum)]);
} finally {
  rmSync(tmp, { recursive: true, force: true });
}

console.log(`${'program'.padEnd(18)} ${'eDSL'.padStart(6)} ${'clang-14 -O2'.padStart(13)} ${'ratio'.padStart(6)}  (target <= 1.25)`);
for (const r of rows) console.log(`${r.program.padEnd(18)} ${String(r.edsl).padStart(6)} ${String(r.clang).padStart(13)} ${(r.edsl / r.clang).toFixed(2).padStart(6)}${r.edsl / r.clang > 1.25 ? '  over' : ''}`);
