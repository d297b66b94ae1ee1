/**
 * The program's context inside subprograms and `bpf_loop` callbacks. A body that uses `ctx`
 * (its fields, `ctx.args.x`, or a helper taking the context such as `perf_event_output`,
 * `get_stackid`, `skb_load_bytes`) gets it the way C code would pass it:
 *
 * - a `$.func` subprogram takes it as a hidden first parameter (R1): the verifier passes a
 *   `PTR_TO_CTX` through a static subprogram's argument registers unchanged;
 * - a `$.loop` callback finds it in 8 hidden bytes after the shared state (or in an 8-byte stack
 *   object of its own when there is none): the caller stores it there before `bpf_loop` and the
 *   callback loads it back through its `callback_ctx` pointer, a spill and fill of `PTR_TO_CTX`
 *   the verifier tracks across frames.
 *
 * Both need no change in user code: the body simply uses the `ctx` of the program's callback.
 * @module
 */

import type { StackObject, StmtNode, VarNode } from './nodes.js';

/**
 * Whether `body` refers to the program's context variable `ctx` anywhere (an expression, a
 * helper argument, a packet check), not counting other functions it calls or takes the address
 * of (a subprogram using `ctx` gets it passed in a call argument, which does count).
 */
export function usesContext(body: readonly StmtNode[], ctx: VarNode): boolean {
  const seen = new Set<object>();
  const walk = (value: unknown): boolean => {
    if (typeof value !== 'object' || value === null || seen.has(value)) return false;
    seen.add(value);
    if (value === ctx) return true;
    const node = value as { readonly kind?: unknown; readonly id?: unknown; readonly type?: unknown };
    if (node.kind === 'var' && node.id === ctx.id) return true;
    if (node.kind === 'func') return false; // another function: its own parameters
    for (const [key, child] of Object.entries(value)) {
      if (key === 'subprog') continue;
      if (walk(child)) return true;
    }
    return false;
  };
  return walk(body);
}

/**
 * Grows stack object `obj` by 8 bytes (8-aligned, after its own bytes) to hold the context
 * pointer for a loop callback (once per object); returns the offset of that slot in the object. The object is
 * zeroed as a whole when declared, so the extra bytes are initialised like the rest.
 */
export function addContextSlot(obj: StackObject): number {
  const known = contextSlots.get(obj);
  if (known !== undefined) return known; // another loop over the same shared state
  const at = (obj.size + 7) & ~7;
  (obj as { size: number }).size = at + 8;
  contextSlots.set(obj, at);
  return at;
}

const contextSlots = new WeakMap<StackObject, number>();
