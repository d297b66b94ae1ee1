/**
 * Where in the user's TypeScript a statement of a program was written. Building a program
 * captures, for each statement, the call stack cheaply (V8 keeps the frames unformatted); the
 * position is only worked out when asked ({@link sourceLocationOf}): the first frame outside
 * the eDSL's own files, mapped through the module's source map when there is one (tsx
 * registers them; a build without source maps reports the `.js` position).
 *
 * ```ts
 * const site = captureSite();            // inside a builder method
 * sourceLocationOf(site);                // { file: '/src/probe.ts', line: 12, column: 3, text: 'counts.increment(k);' }
 * ```
 * @module
 */

import { readFileSync } from 'node:fs';
import { findSourceMap, type SourceMap } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

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

const ownDir = dirname(fileURLToPath(import.meta.url));
/** Directories whose frames are the toolkit's, not the user's: the eDSL and the BCC facade over it. */
const toolkitDirs = new Set([ownDir, join(ownDir, '..', 'bcc')]);

function pathOf(file: string): string {
  return file.startsWith('file://') ? fileURLToPath(file) : file;
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
    f = { path, own: toolkitDirs.has(dirname(path)), map: findSourceMap(name) };
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
    if (facts.own) continue;
    const line = frame.getLineNumber();
    const column = frame.getColumnNumber();
    if (line === null || column === null) continue;
    out = mapPosition(name, facts, line, column);
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
