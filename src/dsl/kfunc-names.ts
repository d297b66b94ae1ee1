/**
 * The kfuncs a program calls, by the BTF id its `call` instructions carry: what the offline
 * interpreter needs to simulate them by name (it has no kernel BTF to look the ids up in).
 * @module
 */

import type { FuncNode, StmtNode } from './nodes.js';

function collect(stmts: readonly StmtNode[], out: Map<number, string>): void {
  for (const s of stmts) {
    switch (s.kind) {
      case 'call':
        if (s.kfunc !== undefined) out.set(s.kfunc, s.name);
        break;
      case 'ifSome':
        if (s.call.kfunc !== undefined) out.set(s.call.kfunc, s.call.name);
        collect(s.then, out);
        collect(s.otherwise, out);
        break;
      case 'if':
      case 'ifPacket':
        collect(s.then, out);
        collect(s.otherwise, out);
        break;
      case 'loop':
        if (s.next?.kfunc !== undefined) out.set(s.next.kfunc, s.next.name);
        collect(s.body, out);
        break;
      default:
        break;
    }
  }
}

/** BTF id → name of every kfunc called in `body` and `funcs` (empty when none). */
export function kfuncNames(body: readonly StmtNode[], funcs: readonly FuncNode[] = []): Map<number, string> {
  const out = new Map<number, string>();
  collect(body, out);
  for (const f of funcs) collect(f.body, out);
  return out;
}
