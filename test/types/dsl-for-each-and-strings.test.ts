/**
 * Type tests of `$.forEachElem`, `$.snprintf`, `$.strncmp` and the `ARG_PTR_TO_CONST_STR` helpers
 * of `$.callHelper`: misuse that must not compile (`@ts-expect-error`, in a function never
 * called) and the types well-formed code gets (checked at run time too).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Expr, program, s64, u32, u64, type Ref, type U32, type U64 } from '../../src/dsl/index.js';
import { char, struct } from '../../src/types/index.js';

const Acc = struct('acc', { sum: u64 });
const Line = struct('line', { text: char(32) });

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function expectType<T extends true>(_: T): void {}

function misuse(): void {
  program('bad', 'socket_filter', ($) => {
    const h = $.hash('h', u32, u64, { maxEntries: 4 });
    const acc = $.struct(Acc);
    const line = $.struct(Line);
    // @ts-expect-error the callback's shared state has the type of the Ref passed
    $.forEachElem(h, acc, (_k, _v, s) => { s.field('nope'); });
    $.forEachElem(h, (k, v) => {
      // @ts-expect-error the value is a u64: a u32 expression does not fit without a cast
      v.set(k.get());
    });
    // @ts-expect-error bpf_strncmp's second string is a JS string constant
    $.callHelper('bpf_strncmp', line, 42);
    // @ts-expect-error bpf_snprintf's format is a JS string constant
    $.callHelper('bpf_snprintf', line, line, null);
    // @ts-expect-error $.strncmp compares a Ref with a string
    $.strncmp(line, line);
    return 0;
  });
}

test('forEachElem gives typed key and value Refs and an s64 count; the string helpers give s64 results', () => {
  void misuse;
  program('good', 'socket_filter', ($) => {
    const h = $.hash('h', u32, u64, { maxEntries: 4 });
    const line = $.struct(Line);
    const n = $.forEachElem(h, (k, v) => {
      expectType<Equal<typeof k, Ref<U32>>>(true);
      expectType<Equal<typeof v, Ref<U64>>>(true);
    });
    const r = $.callHelper('bpf_strncmp', line, 'x');
    const f = $.callHelper('bpf_snprintf', line, 'plain', null);
    expectType<Equal<typeof n, Expr<typeof s64>>>(true);
    expectType<Equal<typeof r, Expr<typeof s64>>>(true);
    expectType<Equal<typeof f, Expr<typeof s64>>>(true);
    for (const e of [n, r, f, $.snprintf(line, 'x'), $.strncmp(line, 'y')]) assert.is(e.type, s64);
    return 0;
  });
});

test.run();
