/**
 * line_info from the compiled eDSL (dist/, `npm run build`): a user's program built through
 * dist/src/dsl/*.js still has its line_info pointing at the user's own file and lines, whether
 * the user's file is plain JavaScript run by node (no source maps registered: the eDSL reads the
 * `.map` files the build wrote, and skips its own frames by their original `src/dsl/*.ts`
 * sources) or TypeScript run through tsx, or the user bundled the program and the eDSL into one
 * file with esbuild (so the generated file's directory no longer tells eDSL frames from the
 * user's: the original sources do); no record points into the eDSL. Each case runs in a child
 * process, the way a user would run it.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const dslEntry = path.join(root, 'dist/src/dsl/index.js');
const built = existsSync(dslEntry) && existsSync(`${dslEntry}.map`);

/** A user's program: the statements carry `@line:` markers the test finds in the text. */
function userProgram(): string {
  return [
    `import { compile, program, u32, u64 } from ${JSON.stringify(dslEntry)};`,
    '',
    "const c = compile(program('count_it', 'socket_filter', ($) => {",
    "  const counts = $.array('counts', u64, { maxEntries: 4 });",
    '  const key = $.let(u32, 2); // @line:let',
    '  counts.update(key, 7n); // @line:update',
    '  $.ifSome(counts.lookup(key), (v) => { v.atomicAdd(1n); }); // @line:ifSome',
    '  return 1;',
    '}));',
    'console.log(JSON.stringify(c.lineInfo.map(({ file, line, text }) => ({ file, line, text }))));',
    '',
  ].join('\n');
}

interface Record { file: string; line: number; text: string }

function runUser(ext: '.mjs' | '.ts', argv: (file: string) => string[], prepare?: (file: string) => void): { file: string; source: string[]; records: Record[] } {
  const dir = mkdtempSync(path.join(tmpdir(), 'tsbpf-dist-line-info-'));
  try {
    const file = path.join(dir, `user-probe${ext}`);
    const text = userProgram();
    writeFileSync(file, text);
    prepare?.(file);
    const r = spawnSync(process.execPath, argv(file), { cwd: root, encoding: 'utf8', timeout: 60_000 });
    assert.is(r.status, 0, `${argv(file).join(' ')}: ${r.stderr}`);
    return { file, source: text.split('\n'), records: JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Record[] };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function check({ file, source, records }: { file: string; source: string[]; records: Record[] }): void {
  assert.ok(records.length > 0, 'line_info records');
  for (const r of records) {
    assert.is(r.file, file, `every record names the user's file, not the eDSL's (${r.file}:${r.line})`);
    assert.is(r.text, source[r.line - 1].trim(), `the text of line ${r.line}`);
  }
  const lines = new Set(records.map((r) => r.line));
  for (const tag of ['let', 'update', 'ifSome']) {
    const want = source.findIndex((l) => l.includes(`@line:${tag}`)) + 1;
    assert.ok(lines.has(want), `line ${want} (${tag}) in ${[...lines].join(',')}`);
  }
}

if (!built) {
  console.log('  skipped: dist/ has no compiled eDSL with source maps (npm run build makes it)');
} else {
  test('compiled eDSL, user JavaScript run by plain node (no source maps registered): the user lines', () => {
    check(runUser('.mjs', (f) => [f]));
  });

  test('compiled eDSL, user TypeScript run through tsx: the user .ts lines', () => {
    check(runUser('.ts', (f) => ['--import', 'tsx', f]));
  });

  test('the user bundled the program with the compiled eDSL (esbuild, source maps): still the user lines', async () => {
    const esbuild = await import('esbuild');
    const bundled = (f: string) => path.join(path.dirname(f), 'out', 'app.mjs');
    check(runUser('.mjs', (f) => [bundled(f)], (f) => {
      esbuild.buildSync({ entryPoints: [f], bundle: true, format: 'esm', platform: 'node', outfile: bundled(f), sourcemap: true, external: ['koffi'], logLevel: 'error', nodePaths: [path.join(root, 'dist/node_modules')] });
    }));
  });

  test('compiled eDSL under --enable-source-maps (Node registers the maps): the same answer', () => {
    check(runUser('.mjs', (f) => ['--enable-source-maps', f]));
  });
}

test.run();
