// DESIGN.md's dependency direction: asm imports nothing (and no node: modules); verifier-sim only
// asm; only syscalls imports koffi; nothing imports src/.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

function sourceFiles(dir: string): string[] {
  const abs = path.join(root, dir);
  let entries: string[];
  try {
    entries = readdirSync(abs);
  } catch {
    return [];
  }
  return entries.flatMap((name) => {
    if (name === 'node_modules') return [];
    const rel = path.join(dir, name);
    if (statSync(path.join(root, rel)).isDirectory()) return sourceFiles(rel);
    return /\.(ts|js|mjs)$/.test(name) ? [rel] : [];
  });
}

/** Module specifiers of static imports, re-exports and dynamic imports. */
function importsOf(file: string): string[] {
  const text = readFileSync(path.join(root, file), 'utf8');
  const specs: string[] = [];
  for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]/g)) specs.push(m[1]);
  for (const m of text.matchAll(/(?:^|\n)\s*import\s*['"]([^'"]+)['"]/g)) specs.push(m[1]);
  for (const m of text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) specs.push(m[1]);
  return specs;
}

/** Top-level folder a specifier lands in ('external:<pkg>' for packages). */
function target(file: string, spec: string): string {
  if (spec.startsWith('.')) return path.relative(root, path.resolve(root, path.dirname(file), spec)).split(path.sep)[0];
  if (spec === 'ebpf-bytecode-utils' || spec.startsWith('ebpf-bytecode-utils/')) return 'asm';
  if (spec.startsWith('node:')) return 'node';
  return `external:${spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]}`;
}

const rules: Record<string, (t: string) => boolean> = {
  asm: (t) => t === 'asm',
  'verifier-sim': (t) => t === 'verifier-sim' || t === 'asm',
  syscalls: (t) => t === 'syscalls' || t === 'node' || t === 'external:koffi',
  src: (t) => t !== 'test' && t !== 'bench' && t !== 'examples',
};

test('every folder imports only what DESIGN.md allows', () => {
  const violations: string[] = [];
  for (const [folder, allowed] of Object.entries(rules)) {
    for (const file of sourceFiles(folder)) {
      for (const spec of importsOf(file)) {
        const t = target(file, spec);
        if (!allowed(t)) violations.push(`${file} imports '${spec}' (${t})`);
      }
    }
  }
  assert.equal(violations, []);
});

test('only syscalls/ imports koffi, and nothing outside src/ imports src/', () => {
  const violations: string[] = [];
  for (const folder of ['asm', 'verifier-sim', 'src', 'syscalls', 'test', 'bench', 'examples', 'scripts', 'bin']) {
    for (const file of sourceFiles(folder)) {
      for (const spec of importsOf(file)) {
        const t = target(file, spec);
        // Kernel tests may reach the kernel through a private koffi wrapper; product code may not.
        if (t === 'external:koffi' && folder !== 'syscalls' && folder !== 'test') violations.push(`${file} imports koffi`);
        if (t === 'src' && !['src', 'test', 'bench', 'examples', 'bin'].includes(folder)) violations.push(`${file} imports src/`);
      }
    }
  }
  assert.equal(violations, []);
});

test('the checker sees imports (it cannot pass vacuously)', () => {
  assert.ok(sourceFiles('asm').length > 5);
  assert.ok(importsOf('asm/src/index.ts').length > 5);
  assert.is(target('src/x.ts', '../asm/src/index.js'), 'asm');
  assert.is(target('asm/src/x.ts', 'node:fs'), 'node');
});

test.run();
