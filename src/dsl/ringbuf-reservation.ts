/**
 * What happens to a ring buffer record reserved with `events.reserve(T)` at the end of its
 * `$.ifSome` block: submitted (`bpf_ringbuf_submit`, the default) or discarded
 * (`bpf_ringbuf_discard`: the reader never sees it).
 *
 * ```ts
 * $.ifSome(events.reserve(Event), (ev, record) => {
 *   ev.field('pid').set(pid);
 *   $.if(pid.eq(0), () => record.discard());   // not interesting after all
 * });
 * ```
 *
 * The verifier wants every reservation released exactly once on every path, so the decision is
 * taken where the user writes it and carried out at the end of the block: when every
 * `discard()`/`submit()` is written directly in the block, the last one is the one emitted;
 * when some are inside branches, a flag variable records the choice and the block ends with
 * `if (flag) bpf_ringbuf_discard(rec, flags) else bpf_ringbuf_submit(rec, flags)`.
 * Requires Linux 5.8.
 * @module
 */

import { u64, type Bool } from './c-types.js';
import type { Emitter } from './emitter.js';
import { DslError } from './errors.js';
import { Expr, operandNode } from './expr.js';
import type { ArgNode, LetStmt, VarNode } from './nodes.js';
import type { Ref } from './ref.js';

/** `BPF_RB_NO_WAKEUP`: do not wake the reader for this record. */
export const RB_NO_WAKEUP = 1;
/** `BPF_RB_FORCE_WAKEUP`: wake the reader for this record regardless of the adaptive policy. */
export const RB_FORCE_WAKEUP = 2;

/** How a {@link Reservation} reaches the block it belongs to (internal: provided by `$.ifSome`). */
export interface ReservationScope {
  /** Emits statements into the current block. */
  readonly out: Emitter;
  /** The current block depth of the builder. */
  depth(): number;
  /** Inserts `stmt` at the top of the reservation's block (before any of the user's statements). */
  declare(stmt: LetStmt): void;
  /** `$.if(cond, then, otherwise)`. */
  branch(cond: Expr<Bool>, then: () => void, otherwise: () => void): void;
}

type Disposition = 'submit' | 'discard';

const byRecord = new WeakMap<Ref<never>, Reservation>();

/** The {@link Reservation} of the record `ref` (the value `$.ifSome` hands out for a ring buffer reservation), if it is one. */
export function reservationOf(ref: Ref<never>): Reservation | undefined {
  return byRecord.get(ref);
}

/** The fate of one reserved ring buffer record: the second parameter of `$.ifSome(events.reserve(T), (ev, record) => …)`. */
export class Reservation {
  readonly #scope: ReservationScope;
  readonly #record: ArgNode;
  readonly #depth: number;
  #last: Disposition = 'submit';
  #flag: VarNode | undefined;
  #released = false;
  readonly #flags: Record<Disposition, number | undefined> = { submit: undefined, discard: undefined };

  /** Binds the record (internal: made by `$.ifSome`). */
  constructor(scope: ReservationScope, record: ArgNode, ref: Ref<never>) {
    this.#scope = scope;
    this.#record = record;
    this.#depth = scope.depth();
    byRecord.set(ref, this);
  }

  /**
   * Discards the record at the end of the block (`bpf_ringbuf_discard(rec, flags)`): its space
   * is given back and the reader skips it. `flags`: 0, {@link RB_NO_WAKEUP} or {@link RB_FORCE_WAKEUP}.
   */
  discard(flags = 0): void {
    this.#decide('discard', flags);
  }

  /** Submits the record at the end of the block (the default; undoes an earlier `discard()` on this path), with `flags`. */
  submit(flags = 0): void {
    this.#decide('submit', flags);
  }

  #decide(what: Disposition, flags: number): void {
    if (this.#released) throw new DslError(`ringbuf ${what}: the record's $.ifSome block has ended`);
    if (!Number.isInteger(flags) || flags < 0 || flags > 3) throw new DslError(`ringbuf ${what}: flags ${String(flags)} must be 0, RB_NO_WAKEUP (1) or RB_FORCE_WAKEUP (2)`);
    const prev = this.#flags[what];
    if (prev !== undefined && prev !== flags) throw new DslError(`ringbuf ${what}: flags ${flags} differ from the ${prev} given before for the same record`);
    this.#flags[what] = flags;
    const depth = this.#scope.depth();
    if (depth < this.#depth) throw new DslError(`ringbuf ${what}: used outside the record's $.ifSome block`);
    if (depth > this.#depth && this.#flag === undefined) {
      // The first decision inside a branch: from here on a flag carries the choice. Every
      // earlier decision was unconditional, so the flag starts as the last of them.
      this.#flag = this.#scope.out.newVar(u64, 'discard');
      this.#scope.declare({ kind: 'let', target: this.#flag, init: operandNode(u64, this.#last === 'discard' ? 1 : 0, 'reserve') });
    }
    if (this.#flag !== undefined) this.#scope.out.emit({ kind: 'assign', target: this.#flag, value: operandNode(u64, what === 'discard' ? 1 : 0, what) });
    if (depth === this.#depth) this.#last = what;
  }

  #call(what: Disposition): void {
    this.#scope.out.call(`ringbuf_${what}`, [this.#record, { kind: 'value', expr: operandNode(u64, this.#flags[what] ?? 0, `ringbuf_${what}`) }], undefined);
  }

  /** Emits the release at the end of the block (internal: called by `$.ifSome`). */
  release(): void {
    this.#released = true;
    if (this.#flag === undefined) {
      // Every decision is unconditional: the last one stands, and the flag is never read.
      this.#call(this.#last);
      return;
    }
    this.#scope.branch(new Expr(this.#flag, u64).ne(0n), () => this.#call('discard'), () => this.#call('submit'));
  }
}
