/**
 * examples/bcc-usdt.ts in the live kernel: traced by pid, the USDT probe `tsbpf:req` of a C
 * program built here delivers its three arguments (an s32 in a register, an s64 in memory, a
 * pointer) widened to s64, exactly as the child passed them, for that child only.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { formatFiring, usdtArgs, type Firing } from '../../examples/bcc-usdt.js';
import { buildC, cCompiler, LineChild } from '../support/c-child.js';
import { kernelTest } from '../support/kernel.js';
import { USDT_PROBES_C } from '../support/usdt-probes-c.js';

const test = suite('examples: bcc-usdt (kernel)');

kernelTest(test, 'every firing of the probe carries the arguments the child passed', async () => {
  const bin = buildC(USDT_PROBES_C);
  const child = new LineChild(bin.path);
  try {
    await child.line();
    using b = usdtArgs(child.pid, 'tsbpf:req');
    const seen: Firing[] = [];
    const firings = b.get('firings');
    firings.open_ring_buffer((_ctx, data) => { const f = firings.event(data); if (f.pid === child.pid) seen.push(f); });
    for (const n of [3, -12, 2_000_000]) {
      child.send(`${n}\n`);
      assert.is(await child.line(), '1', 'the semaphore is raised');
    }
    const deadline = Date.now() + 3000;
    while (seen.length < 3 && Date.now() < deadline) b.ring_buffer_poll(50);
    assert.equal(seen.map((f) => [f.argc, f.arg1, f.arg2, f.arg4]), [[3, -3n, 3007n, 0n], [3, 12n, -11993n, 0n], [3, -2_000_000n, 2_000_000_007n, 0n]]);
    assert.ok(seen.every((f) => f.arg3 > 0x1000n), 'the third argument is a pointer');
    assert.is(formatFiring('tsbpf:req', seen[0]!), `${child.pid} tsbpf:req -3 3007 ${seen[0]!.arg3}`);
  } finally {
    await child.stop();
    bin.remove();
  }
}, () => (cCompiler() === null ? 'no C compiler is installed (it builds the traced program)' : null));

test.run();
