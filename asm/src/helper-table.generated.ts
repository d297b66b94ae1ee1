// Placeholder until scripts/gen-kernel-tables.ts writes the real table.
import type { Helper } from './helpers.js';

/** Helpers by id. */
export const helperTable: readonly Helper[] = [
  { id: 0, name: 'bpf_unspec', ret: null, args: [], gplOnly: false, programTypes: [] },
  { id: 1, name: 'bpf_map_lookup_elem', ret: 'RET_PTR_TO_MAP_VALUE_OR_NULL', args: ['ARG_CONST_MAP_PTR', 'ARG_PTR_TO_MAP_KEY'], gplOnly: false, programTypes: [] },
];
