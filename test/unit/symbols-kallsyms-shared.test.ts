// One read of kallsyms per process, shared by the existence scan (kprobe attach,
// get_syscall_fnname) and the parsed table (ksym): a file rewritten after the first question
// is not read again until a reload, which both kinds of question then see.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { forgetKernelSymbols, kernelSymbolExists, kernelSymbols, KernelSymbolsError, missingKernelSymbols } from '../../src/symbols/index.js';
import { kernelSymbolExists as attachKernelSymbolExists } from '../../src/attach/index.js';

const test = suite('kallsyms shared read');

const FIRST = 'ffffffff81000000 T _stext\nffffffff81200000 T vfs_read\nffffffffc0000000 t e1000_probe\t[e1000]\n';
const SECOND = 'ffffffff81000000 T _stext\nffffffff81300000 T ksys_write\n';

test('the existence scan and the parsed table share one read of the file; reload refreshes both', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'tsbpf-kallsyms-'));
  const file = path.join(dir, 'kallsyms');
  try {
    forgetKernelSymbols();
    writeFileSync(file, FIRST);
    assert.ok(kernelSymbolExists('vfs_read', file));
    assert.is(attachKernelSymbolExists, kernelSymbolExists, 'attach/ re-exports the one implementation');
    writeFileSync(file, SECOND);
    // Not read again: the table is parsed from the text the scan read.
    const table = kernelSymbols({ path: file });
    assert.is(table.address('vfs_read'), 0xffffffff81200000n);
    assert.equal(table.lookup(0xffffffffc0000010n), { name: 'e1000_probe', offset: 0x10n, module: 'e1000' });
    assert.is(kernelSymbols({ path: file }), table, 'parsed once');
    assert.not.ok(kernelSymbolExists('ksys_write', file));
    // A reload reads the file again, for both kinds of question.
    const again = kernelSymbols({ path: file, reload: true });
    assert.is.not(again, table);
    assert.is(again.address('vfs_read'), undefined);
    assert.ok(kernelSymbolExists('ksys_write', file));
    assert.equal(missingKernelSymbols(['vfs_read', 'ksys_write', ...Array.from({ length: 8 }, (_, i) => `x${i}`)], file).slice(0, 2), ['vfs_read', 'x0']);
    forgetKernelSymbols();
    writeFileSync(file, FIRST);
    assert.ok(kernelSymbolExists('vfs_read', file), 'forgetKernelSymbols drops the text');
  } finally {
    forgetKernelSymbols();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an unreadable or hidden kallsyms: the table is a KernelSymbolsError, existence is false', () => {
  forgetKernelSymbols();
  const missing = '/nonexistent/kallsyms';
  assert.not.ok(kernelSymbolExists('vfs_read', missing));
  assert.throws(() => kernelSymbols({ path: missing }), (e: unknown) => e instanceof KernelSymbolsError && /cannot read \(ENOENT\)/.test((e as Error).message));
  const dir = mkdtempSync(path.join(tmpdir(), 'tsbpf-kallsyms-'));
  try {
    const hidden = path.join(dir, 'kallsyms');
    writeFileSync(hidden, '0000000000000000 T vfs_read\n');
    assert.ok(kernelSymbolExists('vfs_read', hidden), 'names are listed even when addresses are hidden');
    assert.throws(() => kernelSymbols({ path: hidden }), (e: unknown) => e instanceof KernelSymbolsError && /addresses are hidden/.test((e as Error).message));
  } finally {
    forgetKernelSymbols();
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
