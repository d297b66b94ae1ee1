/**
 * Type tests of the eDSL: misuse that must not compile, proven with `@ts-expect-error` (tsc
 * fails on an unused directive, so each line below really is an error), and the types that
 * well-formed code gets. The misuse lives in a function that is never called.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  Expr, compile, lit, program, bool, s32, u16, u32, u64, u8,
  type Bool, type Infer, type Maybe, type Ref, type U32, type U64,
} from '../../src/dsl/index.js';
import { char, struct } from '../../src/types/index.js';

const Event = struct('event', { pid: u32, ts: u64, comm: char(16) });

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function expectType<T extends true>(_: T): void {}

function misuse(): void {
  program('bad', 'xdp', ($, ctx) => {
    const a = $.let(u32, 1);
    const b = $.let(u64, 1n);
    const flag = a.lt(3);
    const counts = $.hash('counts', u32, u64, { maxEntries: 8 });

    // @ts-expect-error mixing u32 and u64 needs a cast
    a.add(b);
    // @ts-expect-error a u64 literal must be a bigint or number, not a string
    b.add('1');
    // @ts-expect-error arithmetic on a bool
    flag.add(1);
    // @ts-expect-error comparing a bool with <
    flag.lt(true);
    // @ts-expect-error bitwise ops on a bool
    flag.shl(1);
    // @ts-expect-error logical and of integers: compare first
    a.and(flag);
    // @ts-expect-error not() is for bools
    a.not();
    // @ts-expect-error neg() is for integers
    flag.neg();
    // @ts-expect-error a u32 literal cannot be a bigint
    a.add(1n);
    // @ts-expect-error an if condition must be a bool
    $.if(a, () => {});
    // @ts-expect-error assigning a u64 to a u32 variable
    a.set(b);

    const maybe = counts.lookup(1);
    // @ts-expect-error a maybe-null pointer cannot be dereferenced before the null check
    maybe.get();
    // @ts-expect-error nor written
    maybe.atomicAdd(1n);
    // @ts-expect-error a lookup key of the wrong type
    counts.lookup(b);
    // @ts-expect-error a value of the wrong type
    counts.update(1, a);

    $.ifSome(maybe, (v) => {
      // @ts-expect-error adding a pointer (a map value reference) to a bool
      flag.add(v);
      // @ts-expect-error adding a pointer to an integer
      b.add(v);
      // @ts-expect-error atomicAdd with a value of the wrong type
      v.atomicAdd(a);
      v.atomicAdd(1n);
    });

    const ev = $.struct(Event, { pid: 1, ts: 2n });
    // @ts-expect-error a misspelt field name
    ev.field('pdi');
    // @ts-expect-error a struct is not a scalar: no get()
    ev.get();
    // @ts-expect-error nor atomicAdd
    ev.atomicAdd(1);
    // @ts-expect-error a u32 field takes no bigint
    ev.field('pid').set(1n);
    // @ts-expect-error an initialiser of the wrong type
    $.struct(Event, { ts: 1.5 as unknown as string });
    // @ts-expect-error get_current_comm needs a char[] buffer
    $.getCurrentComm(ev.field('pid'));
    // @ts-expect-error a struct where a u32 key is expected
    counts.lookup(ev);

    // @ts-expect-error xdp_md has no __sk_buff fields
    void ctx.protocol;
    return 2;
  });

  program('bad_sf', 'socket_filter', ($, ctx) => {
    // @ts-expect-error socket filters have no direct packet access
    $.ifPacket(ctx, 0, 14, () => {});
    // @ts-expect-error __sk_buff has no xdp_md fields
    void ctx.rx_queue_index;
  });
}

test('misuse does not compile (the @ts-expect-error lines above are checked by tsc)', () => {
  assert.type(misuse, 'function');
});

test('well-typed code gets the types it should', () => {
  const prog = program('ok', 'sched_cls', ($, ctx) => {
    const x = $.let(u32, 5);
    expectType<Equal<typeof x.type, U32>>(true);
    const sum = x.add(ctx.len).shl(2);
    expectType<Equal<typeof sum, Expr<U32>>>(true);
    const c = sum.gt(10).and(x.ne(0)).or(lit(bool, false));
    expectType<Equal<typeof c, Expr<Bool>>>(true);
    const wide = x.cast(u64).add(1n);
    expectType<Equal<typeof wide, Expr<U64>>>(true);
    const m = $.hash('m', u16, u64, { maxEntries: 4 });
    const maybe = m.lookup(7);
    expectType<Equal<typeof maybe, Maybe<U64>>>(true);
    $.ifSome(maybe, (v) => {
      expectType<Equal<typeof v, Ref<U64>>>(true);
      v.atomicAdd(wide);
    });
    $.ifPacket(ctx, 0, 14, (p) => {
      const t = p.u16be(12);
      expectType<Equal<typeof t, Expr<typeof u16>>>(true);
    });
    const ev = $.struct(Event, { pid: x });
    const ts = ev.field('ts');
    expectType<Equal<typeof ts, Ref<U64>>>(true);
    $.getCurrentComm(ev.field('comm'));
    const neg = $.let(s32, -3).neg();
    expectType<Equal<typeof neg, Expr<typeof s32>>>(true);
    return c;
  });
  expectType<Equal<Infer<typeof u64>, bigint>>(true);
  expectType<Equal<Infer<typeof u8>, number>>(true);
  expectType<Equal<Infer<typeof bool>, boolean>>(true);
  assert.ok(compile(prog).insns.length > 0);
});

test.run();
