/** What scripts/build.js records in dist/build-info.json. */
export interface BuildInfo {
  /** When the build started (ms since the epoch); a source modified later makes the build stale. */
  readonly builtAt: number;
  /** Whether dist/bundle/ holds the bundled entry points. */
  readonly bundled?: boolean;
  /** Per fast entry source, the CommonJS bundle bin/ loads for it (scripts/build.js). */
  readonly fastEntries?: Readonly<Record<string, string>>;
  /** Per fast entry source, the sources its bundle holds (the only ones checked for staleness). */
  readonly fastEntrySources?: Readonly<Record<string, readonly string[]>>;
  /** Per fast entry source, its V8 code cache and the bundle's size and mtime it was made for. */
  readonly codeCaches?: Readonly<Record<string, { readonly file: string; readonly madeFor: { readonly size: number; readonly mtimeMs: number } }>>;
  /** koffi's native module (path relative to the repository root) and koffi's version, when the build could load koffi. */
  readonly koffiNative?: { readonly file: string; readonly version: string };
  /** Every compiled source, relative to the repository root. */
  readonly sources: readonly string[];
}
/** What scripts/build.js records in dist/fast-entries.json: what the fast entries need, and nothing else. */
export interface FastEntriesRecord {
  /** When the build started (ms since the epoch), as in build-info.json. */
  readonly builtAt: number;
  /** koffi's native module and version, as in build-info.json. */
  readonly koffiNative?: { readonly file: string; readonly version: string };
  /** Per fast entry source (e.g. `src/cli/opensnoop-main.ts`): its bundle, the sources it holds, its V8 code cache. */
  readonly entries: Readonly<Record<string, {
    readonly bundle: string;
    readonly sources: readonly string[];
    readonly codeCache?: { readonly file: string; readonly madeFor: { readonly size: number; readonly mtimeMs: number } };
  }>>;
}
/** The fast entries record under `base` (a directory URL or path; default: this repository), or undefined. */
export function fastEntriesRecord(base?: URL | string): FastEntriesRecord | undefined;
/** The build record under `base` (a directory URL or path; default: this repository), or undefined. */
export function buildInfo(base?: URL | string): BuildInfo | undefined;
/** Why the build `info` of the tree at `base` cannot be used (a source of `sources`, default all, missing or newer), or undefined when it can. */
export function staleReason(info: BuildInfo | undefined, base?: URL | string, sources?: readonly string[]): string | undefined;
/** A loader of koffi's native module by path (`native`: the build's `koffiNative`; `base`: the repository, a URL or path); it returns undefined for another version. */
export function nativeKoffiLoader(native: { readonly file: string; readonly version: string }, base?: URL | string): () => unknown;
/**
 * The exports of CommonJS file `file`, compiled with the V8 code cache in `cacheFile` when there is
 * one and `file` still has the `size` and `mtimeMs` of `madeFor`; `cache` tells what happened.
 */
export function requireFastEntry(file: string, cacheFile?: string, madeFor?: { readonly size: number; readonly mtimeMs: number }): { exports: any; cache: 'accepted' | 'rejected' | 'missing' | 'stale' | 'none' };
/** Imports `source` (e.g. `src/cli/main.ts`): compiled from dist/ when up to date, else through tsx. */
export function loadEntry(source: string): Promise<any>;
