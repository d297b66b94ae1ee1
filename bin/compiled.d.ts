/** What scripts/build.js records in dist/build-info.json. */
export interface BuildInfo {
  /** When the build started (ms since the epoch); a source modified later makes the build stale. */
  readonly builtAt: number;
  /** Whether dist/bundle/ holds the bundled entry points. */
  readonly bundled?: boolean;
  /** Every compiled source, relative to the repository root. */
  readonly sources: readonly string[];
}
/** The build record under `base` (a directory URL; default: this repository), or undefined. */
export function buildInfo(base?: URL): BuildInfo | undefined;
/** Why the build `info` of the tree at `base` cannot be used, or undefined when it can. */
export function staleReason(info: BuildInfo | undefined, base?: URL): string | undefined;
/** Imports `source` (e.g. `src/cli/main.ts`): compiled from dist/ when up to date, else through tsx. */
export function loadEntry(source: string): Promise<any>;
