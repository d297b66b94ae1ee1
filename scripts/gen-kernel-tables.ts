/**
 * Generates the helper table and the kernel type constants of `asm/` from a Linux source tree.
 *
 * Usage: `node --import tsx scripts/gen-kernel-tables.ts /path/to/linux-source-tree`
 *
 * Writes `asm/src/helper-table.generated.ts` and `asm/src/kernel-types.generated.ts`. The tree
 * may be a full kernel checkout or a partial copy holding, at their original paths, the
 * top-level `Makefile`, `include/uapi/linux/bpf.h`, `include/linux/bpf_types.h` and the `.c`
 * files that define `bpf_func_proto` structs, `get_func_proto` functions and
 * `bpf_verifier_ops` (every `.c` file outside `tools/`, `samples/`, `Documentation/` and
 * `scripts/` is scanned; those that mention neither struct are skipped).
 *
 * What is read, and how (a textual approximation of the C code, not a compiler):
 * - helper ids and names: the `FN(name, id, ...)` entries of `___BPF_FUNC_MAPPER` in `bpf.h`;
 * - program, map, attach and link types: `enum bpf_prog_type`, `bpf_map_type`, `bpf_attach_type`,
 *   `bpf_link_type` in `bpf.h` (explicit values and aliases honoured, `__MAX_…` dropped);
 * - prototypes: every `struct bpf_func_proto NAME = { … }` initializer (`.ret_type`,
 *   `.argN_type`, `.gpl_only`);
 * - availability: `bpf_types.h` maps `BPF_PROG_TYPE(BPF_PROG_TYPE_X, name, …)` to
 *   `name_verifier_ops`, whose `.get_func_proto` names a function `f(enum bpf_func_id, …)`. A
 *   helper is offered by `f` when a `case BPF_FUNC_x:` of a `switch` on the id returns (or
 *   assigns) something other than `NULL` on some path, or when a function `f` calls with the id
 *   (`bpf_base_func_proto(func_id, prog)`, …) offers it, transitively. Conditions on attach type,
 *   capabilities, lockdown, sleepability and `#ifdef CONFIG_…` are all taken as true. A
 *   `case BPF_FUNC_x: return NULL;` hides `x` from the calls that follow it in that function.
 *   `__weak` definitions lose to strong ones. Calls through `->get_func_proto(` (bpf_iter
 *   targets) reach every `.get_func_proto` stored outside a `bpf_verifier_ops`.
 *   `struct_ops` programs use the `verifier_ops` of their `struct bpf_struct_ops` (every
 *   `.verifier_ops = &ops` in the tree is unioned); `ext` programs use their target's ops and
 *   get no helpers of their own.
 * - When several prototypes serve one helper id (e.g. `bpf_get_stackid_proto` and
 *   `bpf_get_stackid_proto_tp`), the one named `bpf_<helper>_proto` is kept; failing that, the one
 *   most `case` labels return; the others are listed in `otherProtos`.
 *
 * The output is deterministic: it depends only on the files' contents.
 * @module
 */

import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** A parsed `struct bpf_func_proto` initializer. */
interface Proto {
  readonly name: string;
  readonly ret: string | null;
  readonly args: readonly string[];
  readonly gplOnly: boolean;
  readonly weak: boolean;
  readonly file: string;
}

/** A helper-id `case` inside a func_proto function. */
interface CaseInfo {
  readonly helper: string;
  readonly pos: number;
  readonly status: 'offered' | 'blocked' | 'undecided';
  /** Proto names this case can return (direct `&x` or through a getter). */
  readonly protos: readonly string[];
  /** func_proto functions called inside this case's body. */
  readonly calls: readonly string[];
}

/** A parsed `const struct bpf_func_proto *f(enum bpf_func_id id, …)` definition. */
interface FuncProtoFn {
  readonly name: string;
  readonly weak: boolean;
  readonly file: string;
  readonly body: string;
  readonly idParam: string;
  cases: CaseInfo[];
  /** Calls to other func_proto functions outside helper cases, with their positions. */
  fallbacks: { callee: string; pos: number }[];
  dynamic: boolean;
}

/** A parsed `const struct bpf_func_proto *f(void)` getter. */
interface Getter {
  readonly name: string;
  readonly weak: boolean;
  readonly body: string;
}

const SKIP_DIRS = new Set(['.git', 'tools', 'samples', 'Documentation', 'scripts', 'LICENSES', 'usr']);

/** Input the generator cannot read (missing file, unreadable enum, …). */
export class KernelTreeError extends Error {
  override name = 'KernelTreeError';
}

function fail(message: string): never {
  throw new KernelTreeError(message);
}

/** Replaces comments with spaces, keeping string and character literals and newlines. */
function stripComments(src: string): string {
  let out = '';
  let i = 0;
  const n = src.length;
  while (i < n) {
    const c = src[i];
    if (c === '/' && src[i + 1] === '*') {
      const end = src.indexOf('*/', i + 2);
      const stop = end < 0 ? n : end + 2;
      out += src.slice(i, stop).replace(/[^\n]/g, ' ');
      i = stop;
    } else if (c === '/' && src[i + 1] === '/') {
      let end = src.indexOf('\n', i);
      if (end < 0) end = n;
      out += ' '.repeat(end - i);
      i = end;
    } else if (c === '"' || c === "'") {
      let j = i + 1;
      while (j < n && src[j] !== c && src[j] !== '\n') j += src[j] === '\\' ? 2 : 1;
      out += src.slice(i, j + 1);
      i = j + 1;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

/** Blanks preprocessor lines (with their `\` continuations): every `#if` branch is kept. */
function stripDirectives(src: string): string {
  const lines = src.split('\n');
  let continuing = false;
  for (let k = 0; k < lines.length; k++) {
    const line = lines[k] ?? '';
    if (continuing || /^\s*#/.test(line)) {
      continuing = /\\\s*$/.test(line);
      lines[k] = '';
    }
  }
  return lines.join('\n');
}

/** C source with comments and preprocessor lines removed. */
function cleanC(src: string): string {
  return stripDirectives(stripComments(src));
}

/** Index of the `}` matching the `{` at `open` (string literals skipped), or -1. */
function matchBrace(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    const c = text[i];
    if (c === '"' || c === "'") {
      let j = i + 1;
      while (j < text.length && text[j] !== c && text[j] !== '\n') j += text[j] === '\\' ? 2 : 1;
      i = j;
    } else if (c === '{') depth++;
    else if (c === '}') {
      depth--;
      if (depth === 0) return i;
    }
  }
  return -1;
}

/** Splits an initializer body at top-level commas. */
function splitTopLevel(body: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c === '(' || c === '{' || c === '[') depth++;
    else if (c === ')' || c === '}' || c === ']') depth--;
    else if (c === ',' && depth === 0) {
      parts.push(body.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(body.slice(start));
  return parts.map((p) => p.trim()).filter((p) => p.length > 0);
}

/** `.field = value` pairs of a designated initializer body. */
function designated(body: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const part of splitTopLevel(body)) {
    const m = /^\.(\w+)\s*=\s*([\s\S]*)$/.exec(part);
    if (m) fields.set(m[1]!, m[2]!.replace(/\s+/g, ' ').trim());
  }
  return fields;
}

/** `A | B` → `A|B`, whitespace collapsed. */
function normType(value: string): string {
  return value
    .replace(/\s+/g, ' ')
    .replace(/\s*\|\s*/g, '|')
    .replace(/^\((.*)\)$/, '$1')
    .trim();
}

/** Every `.c` file under `root` worth scanning (mentions a func proto or verifier ops). */
function findSources(root: string): { rel: string; text: string }[] {
  const found: { rel: string; text: string }[] = [];
  const walk = (dir: string, rel: string): void => {
    const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const relPath = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) {
        if (!SKIP_DIRS.has(e.name) || rel !== '') walk(path.join(dir, e.name), relPath);
      } else if (e.isFile() && e.name.endsWith('.c')) {
        const text = readFileSync(path.join(dir, e.name), 'latin1');
        if (text.includes('bpf_func_proto') || text.includes('bpf_verifier_ops')) found.push({ rel: relPath, text });
      }
    }
  };
  walk(root, '');
  return found;
}

/** `VERSION.PATCHLEVEL.SUBLEVEL[EXTRAVERSION]` from the top-level Makefile. */
function kernelVersion(root: string): string {
  const file = path.join(root, 'Makefile');
  if (!existsSync(file)) fail(`${file}: missing (is ${root} a kernel source tree?)`);
  const mk = readFileSync(file, 'utf8');
  const get = (key: string): string => new RegExp(`^${key}[ \\t]*=[ \\t]*(.*)$`, 'm').exec(mk)?.[1]?.trim() ?? '';
  const [v, p, s, e] = [get('VERSION'), get('PATCHLEVEL'), get('SUBLEVEL'), get('EXTRAVERSION')];
  if (!v || !p) fail(`${file}: no VERSION/PATCHLEVEL`);
  return `${v}.${p}${s ? `.${s}` : ''}${e}`;
}

/** Members of `enum NAME { … }` in declaration order, values resolved (aliases and `= n` honoured). */
function parseEnum(src: string, name: string): [string, number][] {
  const m = new RegExp(`\\benum\\s+${name}\\s*\\{`).exec(src);
  if (!m) fail(`enum ${name} not found in include/uapi/linux/bpf.h`);
  const open = m.index + m[0].length - 1;
  const body = src.slice(open + 1, matchBrace(src, open));
  const values = new Map<string, number>();
  const out: [string, number][] = [];
  let next = 0;
  for (const part of splitTopLevel(body)) {
    const mm = /^(\w+)\s*(?:=\s*(.+))?$/s.exec(part);
    if (!mm) fail(`enum ${name}: cannot read member '${part}'`);
    const member = mm[1]!;
    let value = next;
    if (mm[2] !== undefined) {
      const expr = mm[2].trim();
      if (/^-?(0x[0-9a-f]+|\d+)[uUlL]*$/i.test(expr)) value = Number.parseInt(expr, expr.toLowerCase().includes('0x') ? 16 : 10);
      else if (values.has(expr)) value = values.get(expr)!;
      else fail(`enum ${name}: cannot evaluate '${member} = ${expr}'`);
    }
    values.set(member, value);
    out.push([member, value]);
    next = value + 1;
  }
  return out;
}

/** `[name, id]` of every helper in `___BPF_FUNC_MAPPER`, by id. */
function parseHelperIds(src: string): [string, number][] {
  const start = src.indexOf('#define ___BPF_FUNC_MAPPER(');
  if (start < 0) fail('___BPF_FUNC_MAPPER not found in include/uapi/linux/bpf.h');
  // The macro body is the run of backslash-continued lines.
  let end = start;
  for (;;) {
    const nl = src.indexOf('\n', end);
    if (nl < 0) break;
    const line = src.slice(end, nl);
    end = nl + 1;
    if (!/\\\s*$/.test(line)) break;
  }
  const body = stripComments(src.slice(start, end));
  const out: [string, number][] = [];
  for (const m of body.matchAll(/\bFN\(\s*(\w+)\s*,\s*(\d+)\s*,/g)) out.push([m[1]!, Number(m[2])]);
  out.sort((a, b) => a[1] - b[1]);
  out.forEach(([name, id], k) => {
    if (id !== k) fail(`___BPF_FUNC_MAPPER: helper ids are not dense at ${name} = ${id}`);
  });
  return out;
}

/** Lower-case type name without the enum's prefix; `__MAX_…` members are dropped. */
function constantTable(members: [string, number][], prefix: string): [string, number][] {
  return members
    .filter(([n]) => !n.startsWith('__'))
    .map(([n, v]) => {
      if (!n.startsWith(prefix)) fail(`${n} does not start with ${prefix}`);
      return [n.slice(prefix.length).toLowerCase(), v] as [string, number];
    });
}

function parseProtos(file: string, text: string, into: Map<string, Proto[]>): void {
  const re = /\bstruct\s+bpf_func_proto\s+(\w+)((?:\s+__\w+)*)\s*=\s*\{/g;
  for (const m of text.matchAll(re)) {
    const open = m.index + m[0].length - 1;
    const close = matchBrace(text, open);
    if (close < 0) continue;
    const f = designated(text.slice(open + 1, close));
    if (!f.has('func')) continue;
    const args: string[] = [];
    let last = 0;
    for (let k = 1; k <= 5; k++) if (f.has(`arg${k}_type`)) last = k;
    for (let k = 1; k <= last; k++) args.push(normType(f.get(`arg${k}_type`) ?? 'ARG_DONTCARE'));
    const gpl = f.get('gpl_only');
    const proto: Proto = {
      name: m[1]!,
      ret: f.has('ret_type') ? normType(f.get('ret_type')!) : null,
      args,
      gplOnly: gpl === 'true' || gpl === '1',
      weak: /__weak/.test(m[2] ?? '') || /__weak/.test(text.slice(Math.max(0, m.index - 40), m.index).split(/[;}]/).pop() ?? ''),
      file,
    };
    const list = into.get(proto.name) ?? [];
    list.push(proto);
    into.set(proto.name, list);
  }
}

function parseFunctions(file: string, text: string, fns: Map<string, FuncProtoFn[]>, getters: Map<string, Getter[]>): void {
  const fnRe = /\bconst\s+struct\s+bpf_func_proto\s*\*\s*((?:__\w+\s+)*)(\w+)\s*\(\s*(?:const\s+)?enum\s+bpf_func_id\s+(\w+)[^)]*\)\s*\{/g;
  for (const m of text.matchAll(fnRe)) {
    const open = m.index + m[0].length - 1;
    const close = matchBrace(text, open);
    if (close < 0) continue;
    const before = text.slice(Math.max(0, m.index - 40), m.index).split(/[;}]/).pop() ?? '';
    const fn: FuncProtoFn = {
      name: m[2]!,
      weak: /__weak/.test(m[1] ?? '') || /__weak/.test(before),
      file,
      body: text.slice(open + 1, close),
      idParam: m[3]!,
      cases: [],
      fallbacks: [],
      dynamic: false,
    };
    const list = fns.get(fn.name) ?? [];
    list.push(fn);
    fns.set(fn.name, list);
  }
  const getRe = /\bconst\s+struct\s+bpf_func_proto\s*\*\s*((?:__\w+\s+)*)(\w+)\s*\(\s*void\s*\)\s*\{/g;
  for (const m of text.matchAll(getRe)) {
    const open = m.index + m[0].length - 1;
    const close = matchBrace(text, open);
    if (close < 0) continue;
    const g: Getter = { name: m[2]!, weak: /__weak/.test(m[1] ?? ''), body: text.slice(open + 1, close) };
    const list = getters.get(g.name) ?? [];
    list.push(g);
    getters.set(g.name, list);
  }
}

/** Strong definitions if any, else the weak ones. */
function preferred<T extends { weak: boolean }>(defs: readonly T[] | undefined): T[] {
  if (!defs) return [];
  const strong = defs.filter((d) => !d.weak);
  return strong.length > 0 ? strong : [...defs];
}

/** Fills `cases`, `fallbacks` and `dynamic` of a func_proto function. */
function analyse(fn: FuncProtoFn, fnNames: Set<string>, protoNames: Set<string>, getterProtos: Map<string, string[]>): void {
  const body = fn.body;
  const caseRanges: [number, number][] = [];
  const switchRe = new RegExp(`\\bswitch\\s*\\(\\s*${fn.idParam}\\s*\\)\\s*\\{`, 'g');
  for (const sm of body.matchAll(switchRe)) {
    const open = sm.index + sm[0].length - 1;
    const close = matchBrace(body, open);
    if (close < 0) continue;
    // Labels at the switch's own depth.
    const labels: { helper: string | null; start: number; end: number }[] = [];
    let depth = 0;
    for (let i = open + 1; i < close; i++) {
      const c = body[i];
      if (c === '{') depth++;
      else if (c === '}') depth--;
      else if (depth === 0 && (c === 'c' || c === 'd') && /\W/.test(body[i - 1] ?? ' ')) {
        const rest = body.slice(i, i + 200);
        const cm = /^case\s+BPF_FUNC_(\w+)\s*:/.exec(rest) ?? /^default\s*:/.exec(rest);
        if (cm) {
          labels.push({ helper: cm[1] ?? null, start: i, end: i + cm[0].length });
          i += cm[0].length - 1;
        }
      }
    }
    for (let k = 0; k < labels.length; k++) {
      const label = labels[k]!;
      // Consecutive labels share the body of the next non-empty one.
      let j = k;
      while (j + 1 < labels.length && body.slice(labels[j]!.end, labels[j + 1]!.start).trim() === '') j++;
      const segEnd = j + 1 < labels.length ? labels[j + 1]!.start : close;
      const seg = body.slice(labels[j]!.end, segEnd);
      if (label.helper === null) continue; // default: its calls count as fallbacks below
      caseRanges.push([labels[j]!.end, segEnd]);
      const protos = new Set<string>();
      const calls = new Set<string>();
      for (const r of seg.matchAll(/&\s*(\w+)/g)) if (protoNames.has(r[1]!)) protos.add(r[1]!);
      for (const r of seg.matchAll(/\b(\w+)\s*\(\s*\)/g)) for (const p of getterProtos.get(r[1]!) ?? []) protos.add(p);
      for (const r of seg.matchAll(/\b(\w+)\s*\(/g)) if (fnNames.has(r[1]!)) calls.add(r[1]!);
      const returns = [...seg.matchAll(/\breturn\b([^;]*);/g)].map((r) => r[1]!.trim());
      const nonNullReturn = returns.some((r) => r !== 'NULL' && r !== '');
      const status: CaseInfo['status'] =
        protos.size > 0 || calls.size > 0 || nonNullReturn ? 'offered' : returns.includes('NULL') ? 'blocked' : 'undecided';
      fn.cases.push({ helper: label.helper, pos: label.start, status, protos: [...protos].sort(), calls: [...calls].sort() });
    }
  }
  const inCase = (pos: number): boolean => caseRanges.some(([a, b]) => pos >= a && pos < b);
  for (const r of body.matchAll(/\b(\w+)\s*\(/g)) {
    if (fnNames.has(r[1]!) && r[1] !== fn.name && !inCase(r.index)) fn.fallbacks.push({ callee: r[1]!, pos: r.index });
  }
  fn.dynamic = /(->|\.)\s*get_func_proto\s*\(/.test(body);
}

/** One line of TS for a string array. */
function strArray(items: readonly string[]): string {
  return `[${items.map((s) => `'${s}'`).join(', ')}]`;
}

/** One helper as read from the tree. */
export interface HelperRow {
  readonly id: number;
  /** Without the `bpf_` prefix, as in `___BPF_FUNC_MAPPER`. */
  readonly name: string;
  readonly ret: string | null;
  readonly args: readonly string[];
  readonly gplOnly: boolean;
  readonly programTypes: readonly string[];
  readonly proto: string | null;
  readonly otherProtos: readonly string[];
}

/** Everything read from a kernel tree. */
export interface KernelTables {
  /** `6.18.2`, from the top-level Makefile. */
  readonly version: string;
  readonly helpers: readonly HelperRow[];
  readonly programTypes: readonly [string, number][];
  readonly mapTypes: readonly [string, number][];
  readonly attachTypes: readonly [string, number][];
  readonly linkTypes: readonly [string, number][];
  /** Things that look wrong in the tree (a verifier ops or function not found, a helper without proto). */
  readonly warnings: readonly string[];
  /** Counts for the summary line. */
  readonly stats: { readonly sources: number; readonly protos: number; readonly functions: number };
}

/**
 * Reads the helper table and the type constants from the kernel source tree at `root`.
 * @throws KernelTreeError when a required file or definition is missing.
 */
export function readKernelTables(root: string): KernelTables {
  const version = kernelVersion(root);
  const uapiPath = path.join(root, 'include/uapi/linux/bpf.h');
  const typesPath = path.join(root, 'include/linux/bpf_types.h');
  for (const f of [uapiPath, typesPath]) if (!existsSync(f)) fail(`${f}: missing`);
  const uapiRaw = readFileSync(uapiPath, 'utf8');
  const uapi = stripComments(uapiRaw);
  const helperIds = parseHelperIds(uapiRaw);

  const progTypes = constantTable(parseEnum(uapi, 'bpf_prog_type'), 'BPF_PROG_TYPE_');
  const mapTypes = constantTable(parseEnum(uapi, 'bpf_map_type'), 'BPF_MAP_TYPE_');
  const attachTypes = constantTable(parseEnum(uapi, 'bpf_attach_type'), 'BPF_');
  const linkTypes = constantTable(parseEnum(uapi, 'bpf_link_type'), 'BPF_LINK_TYPE_');
  const progTypeValue = new Map(progTypes);

  // Program type → verifier ops name, from bpf_types.h.
  const typesH = stripComments(readFileSync(typesPath, 'utf8'));
  const progOps = new Map<string, string>();
  for (const m of typesH.matchAll(/\bBPF_PROG_TYPE\(\s*BPF_PROG_TYPE_(\w+)\s*,\s*(\w+)\s*,/g)) {
    progOps.set(m[1]!.toLowerCase(), `${m[2]!}_verifier_ops`);
  }
  if (progOps.size === 0) fail(`${typesPath}: no BPF_PROG_TYPE entries`);

  // Parse the C sources.
  const sources = findSources(root);
  const protos = new Map<string, Proto[]>();
  const fnDefs = new Map<string, FuncProtoFn[]>();
  const getterDefs = new Map<string, Getter[]>();
  const verifierOps = new Map<string, string | null>(); // ops name → get_func_proto function
  const structOpsVerifierOps = new Set<string>();
  const dynamicTargets = new Set<string>();
  for (const { rel, text: raw } of sources) {
    const text = cleanC(raw);
    parseProtos(rel, text, protos);
    parseFunctions(rel, text, fnDefs, getterDefs);
    const opsRanges: [number, number][] = [];
    for (const m of text.matchAll(/\bstruct\s+bpf_verifier_ops\s+(\w+)\s*=\s*\{/g)) {
      const open = m.index + m[0].length - 1;
      const close = matchBrace(text, open);
      if (close < 0) continue;
      opsRanges.push([open, close]);
      const getFn = designated(text.slice(open + 1, close)).get('get_func_proto') ?? null;
      if (getFn !== null || !verifierOps.has(m[1]!)) verifierOps.set(m[1]!, getFn);
    }
    for (const m of text.matchAll(/\.get_func_proto\s*=\s*(\w+)/g)) {
      if (!opsRanges.some(([a, b]) => m.index > a && m.index < b)) dynamicTargets.add(m[1]!);
    }
    for (const m of text.matchAll(/\.verifier_ops\s*=\s*&\s*(\w+)/g)) structOpsVerifierOps.add(m[1]!);
  }

  const protoNames = new Set(protos.keys());
  const getterProtos = new Map<string, string[]>();
  for (const [name, defs] of getterDefs) {
    const refs = new Set<string>();
    for (const g of preferred(defs)) for (const r of g.body.matchAll(/&\s*(\w+)/g)) if (protoNames.has(r[1]!)) refs.add(r[1]!);
    getterProtos.set(name, [...refs].sort());
  }
  const fnNames = new Set(fnDefs.keys());
  const fns = new Map<string, FuncProtoFn[]>();
  for (const [name, defs] of fnDefs) {
    const chosen = preferred(defs);
    for (const fn of chosen) analyse(fn, fnNames, protoNames, getterProtos);
    fns.set(name, chosen);
  }

  // Helpers offered by each func_proto function, transitively.
  const offeredMemo = new Map<string, Set<string>>();
  const visiting = new Set<string>();
  const offered = (name: string): Set<string> => {
    const memo = offeredMemo.get(name);
    if (memo) return memo;
    if (visiting.has(name)) return new Set();
    visiting.add(name);
    const out = new Set<string>();
    for (const fn of fns.get(name) ?? []) {
      const blockedAt = new Map<string, number>();
      for (const c of fn.cases) {
        if (c.status === 'offered' && (c.protos.length > 0 || c.calls.length === 0)) out.add(c.helper);
        for (const callee of c.calls) if (offered(callee).has(c.helper)) out.add(c.helper);
        if (c.status === 'blocked' && !blockedAt.has(c.helper)) blockedAt.set(c.helper, c.pos);
      }
      const edges = [...fn.fallbacks];
      if (fn.dynamic) for (const t of [...dynamicTargets].sort()) edges.push({ callee: t, pos: fn.body.length });
      for (const { callee, pos } of edges) {
        for (const h of offered(callee)) {
          const b = blockedAt.get(h);
          if (b === undefined || b > pos) out.add(h);
        }
      }
    }
    visiting.delete(name);
    offeredMemo.set(name, out);
    return out;
  };

  // Program type → helpers.
  const helperProgTypes = new Map<string, Set<string>>();
  const warnings: string[] = [];
  for (const [typeName] of progTypes) {
    const opsName = progOps.get(typeName);
    if (!opsName) continue;
    const opsList = typeName === 'struct_ops' ? [...structOpsVerifierOps].sort() : [opsName];
    for (const ops of opsList) {
      if (!verifierOps.has(ops)) {
        warnings.push(`${ops} (program type ${typeName}) not found`);
        continue;
      }
      const fnName = verifierOps.get(ops);
      if (!fnName) continue;
      if (!fns.has(fnName)) warnings.push(`${fnName} (get_func_proto of ${ops}) not found`);
      for (const h of offered(fnName)) {
        const set = helperProgTypes.get(h) ?? new Set();
        set.add(typeName);
        helperProgTypes.set(h, set);
      }
    }
  }

  // Helper → candidate protos with how many case labels return each.
  const candidates = new Map<string, Map<string, number>>();
  for (const defs of fns.values()) {
    for (const fn of defs) {
      for (const c of fn.cases) {
        for (const p of c.protos) {
          const m = candidates.get(c.helper) ?? new Map<string, number>();
          m.set(p, (m.get(p) ?? 0) + 1);
          candidates.set(c.helper, m);
        }
      }
    }
  }

  const protoOf = (name: string): Proto | undefined => preferred(protos.get(name))[0];
  const helpers: HelperRow[] = [];
  for (const [name, id] of helperIds) {
    const cands = new Map(candidates.get(name) ?? []);
    const exact = `bpf_${name}_proto`;
    if (protoOf(exact) && !cands.has(exact)) cands.set(exact, 0);
    const ranked = [...cands.entries()]
      .filter(([p]) => protoOf(p) !== undefined)
      .sort((a, b) => {
        if ((a[0] === exact) !== (b[0] === exact)) return a[0] === exact ? -1 : 1;
        if (a[1] !== b[1]) return b[1] - a[1];
        if (a[0].length !== b[0].length) return a[0].length - b[0].length;
        return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0;
      })
      .map(([p]) => p);
    const chosen = ranked[0] !== undefined ? protoOf(ranked[0]) : undefined;
    const types = [...(helperProgTypes.get(name) ?? [])].sort((a, b) => progTypeValue.get(a)! - progTypeValue.get(b)!);
    if (id !== 0 && !chosen) warnings.push(`no prototype found for bpf_${name} (#${id})`);
    if (id !== 0 && types.length === 0) warnings.push(`no program type offers bpf_${name} (#${id})`);
    helpers.push({
      id,
      name,
      ret: chosen?.ret ?? null,
      args: chosen?.args ?? [],
      gplOnly: chosen?.gplOnly ?? false,
      programTypes: types,
      proto: chosen?.name ?? null,
      otherProtos: chosen ? ranked.slice(1) : [],
    });
  }
  return {
    version,
    helpers,
    programTypes: progTypes,
    mapTypes,
    attachTypes,
    linkTypes,
    warnings,
    stats: { sources: sources.length, protos: protoNames.size, functions: fnNames.size },
  };
}

/** The text of `asm/src/helper-table.generated.ts`. */
export function renderHelperTable(t: KernelTables): string {
  const { version } = t;
  const helperLines = t.helpers.map((h) => {
    const fields = [
      `id: ${h.id}`,
      `name: 'bpf_${h.name}'`,
      `ret: ${h.ret ? `'${h.ret}'` : 'null'}`,
      `args: ${strArray(h.args)}`,
      `gplOnly: ${h.gplOnly}`,
      `programTypes: ${strArray(h.programTypes)}`,
    ];
    if (h.proto) fields.push(`proto: '${h.proto}'`);
    if (h.otherProtos.length > 0) fields.push(`otherProtos: ${strArray(h.otherProtos)}`);
    return `  { ${fields.join(', ')} },`;
  });

  return [
    header(version, 'Helpers from ___BPF_FUNC_MAPPER and the bpf_func_proto definitions.'),
    '',
    '/**',
    ' * The helper table, indexed by helper id.',
    ' *',
    ' * `ret`, `args` and `gplOnly` come from the helper\'s `struct bpf_func_proto`; when several',
    ' * prototypes serve one id, `proto` names the one kept (the one named `bpf_<helper>_proto`, else',
    ' * the one most `case` labels return) and `otherProtos` the others, which may differ (e.g. take',
    ' * the context instead of a socket pointer).',
    ' *',
    ' * `programTypes` is an over-approximation read from the kernel source: a program type is listed',
    ' * when its verifier ops\' `get_func_proto` can return the helper on some path, counting',
    ' * conditional returns (attach type, capabilities, lockdown, sleepable, `CONFIG_…` options) as',
    ' * offered. The running kernel may refuse some of them (e.g. `bpf_probe_write_user` under',
    ' * lockdown, helpers of options it was built without). `ext` programs use their target\'s helpers;',
    ' * `struct_ops` lists the union over all struct_ops kinds in the tree (each `.verifier_ops` of a',
    ' * `struct bpf_struct_ops`: TCP congestion control, sched_ext, …).',
    ' */',
    "import type { Helper } from './helpers.js';",
    '',
    `/** Helpers by id (0 … ${t.helpers.length - 1}), Linux ${version}. */`,
    'export const helperTable: readonly Helper[] = [',
    ...helperLines,
    '];',
    '',
  ].join('\n');
}

/** The text of `asm/src/kernel-types.generated.ts`. */
export function renderKernelTypes(t: KernelTables): string {
  const { version } = t;
  const constBlock = (constName: string, typeName: string, what: string, rows: readonly [string, number][]): string[] => [
    `/** ${what} (lower-case name without prefix → number), Linux ${version}. */`,
    `export const ${constName} = {`,
    ...rows.map(([n, v]) => `  ${n}: ${v},`),
    '} as const;',
    '',
    `/** A name of {@link ${constName}}. */`,
    `export type ${typeName}Name = keyof typeof ${constName};`,
    `/** A number of {@link ${constName}}. */`,
    `export type ${typeName}Number = (typeof ${constName})[${typeName}Name];`,
    '',
  ];
  return [
    header(version, 'Kernel type constants from include/uapi/linux/bpf.h.'),
    '',
    '/**',
    ' * Program, map, attach and link type numbers of the kernel\'s `enum bpf_prog_type`,',
    ' * `bpf_map_type`, `bpf_attach_type` and `bpf_link_type`, keyed by lower-case name without',
    ' * the `BPF_PROG_TYPE_` / `BPF_MAP_TYPE_` / `BPF_` / `BPF_LINK_TYPE_` prefix. Aliases keep',
    ' * their declaration order (`cgroup_storage_deprecated` and `cgroup_storage` are both 19).',
    ' * Use the lookups of `kernel-types.ts` to validate names and numbers.',
    ' * @module',
    ' */',
    '',
    ...constBlock('ProgramTypes', 'ProgramType', 'Program types (`enum bpf_prog_type`)', t.programTypes),
    ...constBlock('MapTypes', 'MapType', 'Map types (`enum bpf_map_type`)', t.mapTypes),
    ...constBlock('AttachTypes', 'AttachType', 'Attach types (`enum bpf_attach_type`)', t.attachTypes),
    ...constBlock('LinkTypes', 'LinkType', 'Link types (`enum bpf_link_type`)', t.linkTypes),
  ].join('\n');
}

/** First lines of both generated files: how they were made. */
function header(version: string, what: string): string {
  return [
    `// Generated by \`node --import tsx scripts/gen-kernel-tables.ts LINUX_SRC\` from a Linux ${version}`,
    `// source tree (LINUX_SRC/Makefile: ${version}). Do not edit: re-run the script (scripts/README.md).`,
    `// ${what}`,
  ].join('\n');
}

const USAGE = 'usage: node --import tsx scripts/gen-kernel-tables.ts /path/to/linux-source-tree [--out DIR]';

function main(argv: readonly string[]): number {
  const outFlag = argv.indexOf('--out');
  const outDir =
    outFlag >= 0 ? argv[outFlag + 1] : path.join(path.dirname(path.dirname(fileURLToPath(import.meta.url))), 'asm/src');
  const positional = argv.filter((_, k) => outFlag < 0 || (k !== outFlag && k !== outFlag + 1));
  const root = positional[0];
  if (!root || !outDir || positional.length !== 1) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  let t: KernelTables;
  try {
    t = readKernelTables(root);
  } catch (e) {
    if (!(e instanceof KernelTreeError)) throw e;
    process.stderr.write(`gen-kernel-tables: ${e.message}\n`);
    return 2;
  }
  writeFileSync(path.join(outDir, 'helper-table.generated.ts'), renderHelperTable(t));
  writeFileSync(path.join(outDir, 'kernel-types.generated.ts'), renderKernelTypes(t));
  for (const w of t.warnings) process.stderr.write(`gen-kernel-tables: warning: ${w}\n`);
  process.stdout.write(
    `Linux ${t.version}: ${t.helpers.length} helpers, ${t.programTypes.length} program types, ` +
      `${t.mapTypes.length} map types, ${t.attachTypes.length} attach types, ${t.linkTypes.length} link types; ` +
      `${t.stats.sources} source files, ${t.stats.protos} protos, ${t.stats.functions} func_proto functions\n`,
  );
  return 0;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  process.exitCode = main(process.argv.slice(2));
}
