/**
 * Where in the user's TypeScript a statement of a program was written. Building a program
 * captures, for each statement, the call stack cheaply (V8 keeps the frames unformatted); the
 * position is only worked out when asked ({@link sourceLocationOf}): the first frame outside
 * the eDSL's own files, mapped through the module's source map when there is one (tsx
 * registers them; for compiled JavaScript whose map Node did not load — no
 * `--enable-source-maps`, so start-up pays nothing — the `.map` file its `sourceMappingURL`
 * names is read here, on first use; without any map the `.js` position is reported). Whether a
 * frame is the eDSL's own is decided on the original source when there is a map, so a bundle
 * that holds both the eDSL and its callers (dist/bundle/) still finds the caller.
 *
 * ```ts
 * const site = captureSite();            // inside a builder method
 * sourceLocationOf(site);                // { file: '/src/probe.ts', line: 12, column: 3, text: 'counts.increment(k);' }
 * ```
 * @module
 */

import { readFileSync } from 'node:fs';
import { findSourceMap, SourceMap } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** A TypeScript (or JavaScript) source position and the text of its line. */
export interface SourceLocation {
  /** Absolute path of the file. */
  readonly file: string;
  /** 1-based line. */
  readonly line: number;
  /** 1-based column. */
  readonly column: number;
  /** The line's text, trimmed ('' when the file cannot be read). */
  readonly text: string;
}

/** An unresolved call site: the captured stack of a builder call. */
export interface CapturedSite {
  /** @internal The V8 stack holder (formatted lazily). */
  readonly holder: { stack?: unknown };
}

/** Frames kept per capture: enough to get out of the eDSL's nested helpers. */
const FRAMES = 8;

function pathOf(file: string): string {
  return file.startsWith('file://') ? fileURLToPath(file) : file;
}

/**
 * The source map of generated file `name` (a path or file URL): the one Node registered, else the
 * file named by its last `//# sourceMappingURL=` comment (a relative path), with its sources made
 * absolute; undefined when there is none or it cannot be read.
 */
function sourceMapOf(name: string): SourceMap | undefined {
  const registered = findSourceMap(name);
  if (registered !== undefined) return registered;
  try {
    const text = readFileSync(pathOf(name), 'utf8');
    const url = /\/\/# sourceMappingURL=([^\s'"]+)\s*$/.exec(text.slice(-1024))?.[1];
    if (url === undefined || url.includes(':')) return undefined;
    const mapUrl = new URL(url, pathToFileURL(pathOf(name)));
    const payload = JSON.parse(readFileSync(mapUrl, 'utf8')) as { sources: string[]; sourceRoot?: string };
    const base = new URL(payload.sourceRoot ?? '', mapUrl);
    payload.sources = payload.sources.map((s) => new URL(s, base).href);
    return new SourceMap(payload as ConstructorParameters<typeof SourceMap>[0]);
  } catch {
    return undefined;
  }
}

let toolkitDirs: ReadonlySet<string> | undefined;
/**
 * Directories whose frames are the toolkit's, not the user's: the eDSL (this file's directory,
 * as compiled and — from its source map, when there is one — as written) and the BCC facade over
 * it. Worked out on first use, so importing the eDSL reads no source map.
 */
function toolkit(): ReadonlySet<string> {
  if (toolkitDirs === undefined) {
    const own = fileURLToPath(import.meta.url);
    const written = sourceMapOf(own)?.payload.sources.filter((s) => /[\\/]dsl[\\/]source-location\.ts$/.test(s)).map((s) => dirname(pathOf(s))) ?? [];
    toolkitDirs = new Set([dirname(own), ...written].flatMap((d) => [d, join(d, '..', 'bcc')]));
  }
  return toolkitDirs;
}

/** Captures the current call stack (about a microsecond; nothing is formatted yet). */
export function captureSite(): CapturedSite {
  const holder: { stack?: unknown } = {};
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = FRAMES;
  Error.captureStackTrace(holder, captureSite);
  Error.stackTraceLimit = limit;
  return { holder };
}

const resolved = new WeakMap<CapturedSite, SourceLocation | null>();
const lineCache = new Map<string, readonly string[] | null>();

function lineText(file: string, line: number): string {
  let lines = lineCache.get(file);
  if (lines === undefined) {
    try {
      lines = readFileSync(file, 'utf8').split('\n');
    } catch {
      lines = null;
    }
    lineCache.set(file, lines);
  }
  return lines?.[line - 1]?.trim() ?? '';
}

function callSites(site: CapturedSite): readonly NodeJS.CallSite[] {
  const prepare = Error.prepareStackTrace;
  Error.prepareStackTrace = (_err, frames) => frames;
  try {
    const stack = site.holder.stack;
    return Array.isArray(stack) ? (stack as NodeJS.CallSite[]) : [];
  } finally {
    Error.prepareStackTrace = prepare;
  }
}

/** Per generated file: whether it is one of the eDSL's own, and its source map. */
interface FileFacts {
  readonly path: string;
  readonly own: boolean;
  readonly map: SourceMap | undefined;
}
const files = new Map<string, FileFacts>();
/** Positions already mapped, by `generated file:line:column` (warm builds hit these). */
const positions = new Map<string, SourceLocation>();

function factsOf(name: string): FileFacts {
  let f = files.get(name);
  if (f === undefined) {
    const path = pathOf(name);
    f = { path, own: toolkit().has(dirname(path)), map: sourceMapOf(name) };
    files.set(name, f);
  }
  return f;
}

function mapPosition(name: string, facts: FileFacts, line: number, column: number): SourceLocation {
  const key = `${name}:${line}:${column}`;
  let at = positions.get(key);
  if (at !== undefined) return at;
  const entry = facts.map?.findEntry(line - 1, column - 1);
  if (entry !== undefined && 'originalSource' in entry && entry.originalSource) {
    const file = pathOf(entry.originalSource);
    at = { file, line: entry.originalLine + 1, column: entry.originalColumn + 1, text: lineText(file, entry.originalLine + 1) };
  } else {
    at = { file: facts.path, line, column, text: lineText(facts.path, line) };
  }
  positions.set(key, at);
  return at;
}

/**
 * The user's source position of `site`: the first frame outside the eDSL's directory and
 * Node's internals, through its source map when one is registered; undefined when no frame
 * qualifies (a program built entirely from eDSL internals).
 */
export function sourceLocationOf(site: CapturedSite): SourceLocation | undefined {
  const known = resolved.get(site);
  if (known !== undefined) return known ?? undefined;
  let out: SourceLocation | null = null;
  for (const frame of callSites(site)) {
    const name = frame.getFileName();
    if (name === null || name === undefined || name.startsWith('node:')) continue;
    const facts = factsOf(name);
    // With a map, the original source decides (a bundle holds the eDSL and its callers alike).
    if (facts.own && facts.map === undefined) continue;
    const line = frame.getLineNumber();
    const column = frame.getColumnNumber();
    if (line === null || column === null) continue;
    const at = mapPosition(name, facts, line, column);
    if (facts.map !== undefined && toolkit().has(dirname(at.file))) continue;
    out = at;
    break;
  }
  resolved.set(site, out);
  return out ?? undefined;
}

const siteOfNode = new WeakMap<object, CapturedSite>();

/** Records where `node` (a statement or program) was written, unless already recorded. */
export function recordSite(node: object, site: CapturedSite = captureSite()): void {
  if (!siteOfNode.has(node)) siteOfNode.set(node, site);
}

/** The recorded site of `node`, if any. */
export function siteOf(node: object): CapturedSite | undefined {
  return siteOfNode.get(node);
}
