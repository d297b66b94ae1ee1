// USDT in the BCC facade against the live kernel: a C program built here carries USDT probes
// (notes emitted the way <sys/sdt.h> does): `tsbpf:req` guarded by a semaphore with a signed
// register argument, a memory argument and a string pointer, and `tsbpf:tick` at two sites with
// a constant argument. `new USDT({ pid })` + `enable_probe` + `new BPF({ usdt_contexts })` must
// attach to every site, raise the semaphore, and deliver exactly the values the child passed,
// read with bpf_usdt_readarg / bpf_usdt_readarg_p, for the child's pid. Misuse is a BccError at
// build time.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { BPF, BPF_RINGBUF_OUTPUT, BccError, USDT, bpf_usdt_readarg, bpf_usdt_readarg_p } from '../../src/bcc/index.js';
import { s16, s32, s64, u32, u64 } from '../../src/dsl/index.js';
import { char, struct, type Infer } from '../../src/types/index.js';
import { buildC, cCompiler, LineChild } from '../support/c-child.js';
import { USDT_PROBES_C as SOURCE } from '../support/usdt-probes-c.js';
import { kernelTest } from '../support/kernel.js';

const test = suite('bcc USDT (kernel)');


const Ev = struct('usdt_ev', { pid: u32, probe: u32, a: s32, b: s64, c: s16, name: char(16) });
type Ev = Infer<typeof Ev>;

const noCompiler = () => (cCompiler() === null ? 'no C compiler is installed (it builds the traced program)' : null);

kernelTest(test, 'USDT({ pid }) + enable_probe: every site attached, semaphore raised, arguments as the child passed them', async () => {
  const bin = buildC(SOURCE);
  const child = new LineChild(bin.path);
  try {
    await child.line();
    const u = new USDT({ pid: child.pid });
    assert.is(u.path, bin.path, 'the process executable');
    u.enable_probe({ probe: 'req', fn_name: 'on_req' });
    u.enable_probe({ probe: 'tsbpf:tick', fn_name: 'on_tick' });
    assert.equal(u.enabled.map((e) => [e.fnName, e.provider, e.name, e.sites.length]), [['on_req', 'tsbpf', 'req', 1], ['on_tick', 'tsbpf', 'tick', 2]]);
    child.send('1\n');
    assert.is(await child.line(), '0', 'semaphore down before attach');
    using b = new BPF({
      tables: { events: BPF_RINGBUF_OUTPUT(Ev, 8) },
      functions: {
        on_req: {
          kprobe: ($, ctx, t) => {
            const e = $.struct(Ev, { pid: $.getCurrentPidTgid().shr(32n).cast(u32), probe: 1, a: bpf_usdt_readarg(1, ctx, s32), b: bpf_usdt_readarg(2, ctx, s64) });
            bpf_usdt_readarg_p(3, ctx, e.field('name'));
            t.events.ringbuf_output(e);
            return 0;
          },
        },
        // BCC's form: a plain function, made a kprobe program because a USDT context names it.
        on_tick: ($, ctx, t) => {
          const e = $.struct(Ev, { pid: $.getCurrentPidTgid().shr(32n).cast(u32), probe: 2, c: bpf_usdt_readarg(1, ctx, s16) });
          t.events.ringbuf_output(e);
          return 0;
        },
      },
      usdt_contexts: [u],
    });
    assert.is(b.num_open_uprobes(), 3, 'one uprobe per site');
    const seen: Ev[] = [];
    const events = b.get('events');
    events.open_ring_buffer((_ctx, data) => { const e = events.event(data); if (e.pid === child.pid) seen.push(e); });
    for (const n of [5, 42, -7]) {
      child.send(`${n}\n`);
      assert.is(await child.line(), '1', 'semaphore raised while attached');
    }
    const deadline = Date.now() + 3000;
    while (seen.length < 9 && Date.now() < deadline) b.ring_buffer_poll(50);
    const reqs = seen.filter((e) => e.probe === 1).map((e) => [e.a, e.b, e.name]);
    assert.equal(reqs, [[-5, 5007n, 'req-5'], [-42, 42007n, 'req-42'], [7, -6993n, 'req--7']]);
    const ticks = seen.filter((e) => e.probe === 2).map((e) => e.c);
    assert.equal(ticks, [-3, -3, -3, -3, -3, -3], 'both tick sites fire for every line');
    b.close();
    child.send('9\n');
    assert.is(await child.line(), '0', 'semaphore lowered after close');
  } finally {
    await child.stop();
    bin.remove();
  }
}, noCompiler);

kernelTest(test, 'misuse is a BccError before anything is loaded', async () => {
  const bin = buildC(SOURCE);
  try {
    const u = () => new USDT({ path: bin.path });
    const build = (ctxs: USDT[], fn: (ctx: never) => void) =>
      new BPF({ functions: { f: { kprobe: ($, ctx) => { fn(ctx as never); return 0; } } }, usdt_contexts: ctxs });
    const isBcc = (re: RegExp) => (e: unknown) => e instanceof BccError && re.test(e.message);
    assert.throws(() => u().enable_probe({ probe: 'nope', fn_name: 'f' }), isBcc(/no probe 'nope' in .*probes: .*tsbpf:req/));
    assert.throws(() => u().enable_probe({ probe: 'req', fn_name: 'f' }).enable_probe({ probe: 'tick', fn_name: 'f' }), isBcc(/already enabled/));
    assert.throws(() => new USDT({}), isBcc(/give pid or path/));
    assert.throws(() => new USDT({ path: '/nonexistent/x' }), isBcc(/cannot read \(ENOENT\)/));
    assert.throws(() => build([u().enable_probe({ probe: 'req', fn_name: 'f' })], (ctx) => bpf_usdt_readarg(4, ctx)), isBcc(/tsbpf:req has 3 arguments; asked for argument 4/));
    assert.throws(() => build([u().enable_probe({ probe: 'req', fn_name: 'f' })], (ctx) => bpf_usdt_readarg(1, ctx, u64)), isBcc(/argument 1 of probe tsbpf:req is 4 bytes \(-4@%\w+\), not u64's 8/));
    assert.throws(() => build([u().enable_probe({ probe: 'odd', fn_name: 'f' })], (ctx) => bpf_usdt_readarg(1, ctx)), isBcc(/keeps argument 1 in different places at its 2 sites \(4@\$1, 4@\$2\)/));
    assert.throws(() => build([u().enable_probe({ probe: 'req', fn_name: 'g' })], () => undefined), isBcc(/function 'g', which is not among the functions/));
    assert.throws(() => build([], (ctx) => bpf_usdt_readarg(1, ctx)), isBcc(/ctx is not the context of a function enabled with USDT.enable_probe/));
    assert.throws(
      () => new BPF({ functions: { f: { raw_tracepoint: () => 0 } }, usdt_contexts: [u().enable_probe({ probe: 'req', fn_name: 'f' })] }),
      isBcc(/make it a kprobe function/),
    );
    // A string read needs a pointer-wide argument.
    assert.throws(
      () => new BPF({
        functions: { f: { kprobe: ($, ctx) => { const e = $.struct(Ev); bpf_usdt_readarg_p(1, ctx, e.field('name')); return 0; } } },
        usdt_contexts: [u().enable_probe({ probe: 'req', fn_name: 'f' })],
      }),
      isBcc(/argument 1 of probe tsbpf:req is 4 bytes .*not a pointer/),
    );
  } finally {
    bin.remove();
  }
}, noCompiler);

test.run();
