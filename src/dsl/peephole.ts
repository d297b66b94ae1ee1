/**
 * The peephole passes run on a function's emitted code before jumps are resolved, in order:
 * dead stack stores first (a zeroing store that a field store rewrites goes, so the field store
 * can then take a call's result straight from `r0`), then direct result stores.
 *
 * ```ts
 * const items = peephole(removeUnreachable(gen.items), gen.origins);
 * ```
 * @module
 */

import type { ProgramItem } from 'ebpf-bytecode-utils';
import { storeResultsDirectly } from './direct-result-store.js';
import { removeDeadStackStores } from './stack-dead-store.js';

/** `items` after {@link removeDeadStackStores} and {@link storeResultsDirectly}; `origins` follows the rewrites. */
export function peephole<O>(items: readonly ProgramItem[], origins?: Map<ProgramItem, O>): readonly ProgramItem[] {
  return storeResultsDirectly(removeDeadStackStores(items, origins), origins);
}
