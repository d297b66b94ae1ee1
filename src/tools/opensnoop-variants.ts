/**
 * How opensnoop's options pick a prebuilt program (src/tools/opensnoop-prebuilt.generated.ts):
 * the entry program exists for each combination of the pid/tid/uid filters (their values are
 * immediates patched at load), the exit program for each transport and failed-only setting.
 * @module
 */

/** The filters whose value is an immediate patched into the entry program. */
export const PATCHED_FILTERS = ['pid', 'tid', 'uid'] as const;

/** The pid/tid/uid filters. */
export type IdFilters = { readonly [K in (typeof PATCHED_FILTERS)[number]]?: number };

/** Throws a RangeError unless `v` (the `name` filter) is absent or an unsigned 32-bit integer. */
export function checkFilterId(name: string, v: number | undefined): void {
  if (v !== undefined && (!Number.isInteger(v) || v < 0 || v > 0xffffffff)) throw new RangeError(`opensnoop: ${name} ${String(v)} is not a 32-bit unsigned integer`);
}

/** The key of an entry-program variant: which of pid/tid/uid filter (`'pid+uid'`; `''` for none). */
export function enterVariantKey(filter: IdFilters): string {
  return PATCHED_FILTERS.filter((k) => filter[k] !== undefined).join('+');
}

/** The filter values of `filter` to patch into its entry variant. */
export function enterVariantValues(filter: IdFilters): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of PATCHED_FILTERS) {
    const v = filter[k];
    if (v !== undefined) out[k] = v;
  }
  return out;
}

/** The key of an exit-program variant: the transport and whether only failed opens are sent (`'perf+failed'`). */
export function exitVariantKey(options: { readonly failed?: boolean; readonly transport?: 'perf' | 'ring' }): string {
  return `${options.transport ?? 'perf'}${options.failed === true ? '+failed' : ''}`;
}
