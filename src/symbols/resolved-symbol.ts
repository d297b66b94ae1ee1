/**
 * What a symbol lookup answers: the symbol that contains (or precedes) an address, and how far
 * into it the address lies.
 * @module
 */

/** An address resolved to a symbol. */
export interface ResolvedSymbol {
  /** The symbol's name (`do_sys_openat2`, `main`, `LazyCompile:~f /tmp/x.js:1`). */
  readonly name: string;
  /** The address minus the symbol's start. */
  readonly offset: bigint;
  /** The kernel module (`[bpf]` in kallsyms, given without brackets) or the ELF/perf-map file. */
  readonly module?: string;
}

/** `name+0xoff [module]`, the form BCC's `sym(…, show_offset=True, show_module=True)` prints. */
export function formatSymbol(s: ResolvedSymbol | undefined, address: bigint): string {
  if (s === undefined) return `0x${address.toString(16)}`;
  const off = s.offset === 0n ? '' : `+0x${s.offset.toString(16)}`;
  return `${s.name}${off}${s.module !== undefined ? ` [${s.module}]` : ''}`;
}
