#!/usr/bin/env node
// `npm run test:vm`: boots each stock Debian kernel once (test/vm/run-in-vm.sh) and runs inside
// it, as root, one uvu batch of every test/kernel/*.test.ts and test/vm/*.test.ts file, the same
// way scripts/run-tests.js runs uvu (no type check, no rebuild inside; node_modules come from the
// host). Prints `kernel <uname -r>: N passed, N failed, N skipped (Ts)` per kernel and a closing
// plain `N passed, N failed, N skipped` line; exits 1 when anything failed.
//
// Usage: node test/vm/run.js [--kernel 6.12|6.1]... [--sequential|--parallel] [--timeout S]
//                            [--mem SIZE] [PATTERN]
//   --kernel     a kernel series to boot (repeatable; default: 6.12 and 6.1)
//   --parallel   boot the kernels at the same time (the default on hosts with 2+ CPUs: each VM
//                is single-threaded TCG, so it keeps one host CPU busy)
//   --timeout    seconds for the whole stage (default 1500: CI as a whole aims at under 30 minutes); each VM
//                is killed when it would overrun (one after the other: it gets what is left)
//   PATTERN      regular expression that further filters the files (paths below test/, e.g.
//                'smoke' or '^vm/'); the batch is always within ^(kernel|vm)/[^/]*\.test\.ts$
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { cpus } from 'node:os';
import path from 'node:path';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const runner = path.join(root, 'test/vm/run-in-vm.sh');

const args = process.argv.slice(2);
const kernels = [];
let parallel = cpus().length >= 2;
let timeout = '1500';
let mem = '2G';
let pattern = '^(kernel|vm)/[^/]*\\.test\\.ts$';
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === '--kernel') kernels.push(args[++i]);
  else if (a === '--parallel') parallel = true;
  else if (a === '--sequential') parallel = false;
  else if (a === '--timeout') timeout = args[++i];
  else if (a === '--mem') mem = args[++i];
  else if (a.startsWith('-')) {
    console.error(`test:vm: unknown option ${a}`);
    process.exit(2);
  } else pattern = `^(?=.*(?:${a}))(kernel|vm)/[^/]*\\.test\\.ts$`; // a filter on top of the default
}
if (kernels.length === 0) kernels.push('6.12', '6.1');
for (const k of kernels) {
  if (k !== '6.12' && k !== '6.1') {
    console.error(`test:vm: --kernel must be 6.12 or 6.1 (got ${k})`);
    process.exit(2);
  }
}

/**
 * Writes the child's output line by line, prefixed when several VMs run at once, and notes when
 * each line arrived (uvu prints a file's name just before it runs that file's tests).
 */
function lineWriter(stream, prefix, sink) {
  let rest = '';
  return {
    write(chunk) {
      sink.text += chunk;
      rest += chunk;
      const lines = rest.split('\n');
      rest = lines.pop();
      for (const line of lines) {
        sink.onLine?.(line);
        stream.write(`${prefix}${line}\n`);
      }
    },
    end() {
      if (rest !== '') stream.write(`${prefix}${rest}\n`);
      rest = '';
    },
  };
}

const t0 = Date.now();

/** Boots one kernel and runs the batch; resolves to its counts. */
function runKernel(series) {
  const started = Date.now();
  const prefix = parallel && kernels.length > 1 ? `[${series}] ` : '';
  // When each test file started running (uvu imports every file first, then runs them in order).
  const marks = [];
  const sink = {
    text: '',
    onLine(line) {
      if (/^(kernel|vm)\/\S+\.test\.ts$/.test(line) || /^\s+Total:/.test(line)) marks.push({ name: line.trim(), t: Date.now() });
    },
  };
  const out = lineWriter(process.stdout, prefix, sink);
  const err = lineWriter(process.stderr, prefix, { text: '' });
  // guest-uvu.js is uvu that exits even when a test leaked a handle; the preloads fix the
  // fast-check seed (as npm test does) and add the verifier log and the guest kernel log to the
  // report of a failing test.
  const inner =
    'echo "tsbpf-vm: kernel $(uname -r)"; exec node --import tsx --import ./test/support/fast-check-seed.ts --import ./test/support/failure-report.ts test/vm/guest-uvu.js "$0"';
  const left = Math.max(30, Math.floor(Number(timeout) - (Date.now() - t0) / 1000));
  const child = spawn('bash', [runner, '--kernel', series, '--timeout', String(left), '--mem', mem, '--', 'bash', '-c', inner, pattern], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, FORCE_COLOR: '0', TSBPF_VM_KERNEL: series },
  });
  child.stdout.setEncoding('utf8').on('data', (c) => out.write(c));
  child.stderr.setEncoding('utf8').on('data', (c) => err.write(c));
  return new Promise((resolve) => {
    child.on('close', (status, signal) => {
      out.end();
      err.end();
      const text = sink.text;
      const release = /^tsbpf-vm: kernel (\S+)/m.exec(text)?.[1] ?? `${series} (did not boot)`;
      const total = Number(/Total:\s+(\d+)/.exec(text)?.[1] ?? NaN);
      const done = Number(/Passed:\s+(\d+)/.exec(text)?.[1] ?? NaN);
      const skipped = Number(/Skipped:\s+(\d+)/.exec(text)?.[1] ?? 0);
      let passed = 0;
      let failed = 0;
      if (Number.isNaN(total) || Number.isNaN(done)) {
        // The VM or the test runner died (or timed out) before uvu's summary: count what the
        // finished suites reported (`(ran / max)` at the end of each suite's line), plus one failure.
        for (const m of text.matchAll(/\((\d+) \/ (\d+)\)\s*$/gm)) {
          passed += Number(m[1]);
          failed += Number(m[2]) - Number(m[1]);
        }
        failed += 1;
        console.log(`${prefix}test:vm: no uvu summary from kernel ${release} (exit ${status ?? signal}); counted the suites that finished`);
      } else {
        passed = done;
        failed = total - done;
        if (status !== 0 && total === done) failed += 1;
      }
      const files = [];
      for (let i = 0; i + 1 < marks.length; i++) files.push({ name: marks[i].name, seconds: (marks[i + 1].t - marks[i].t) / 1000 });
      files.sort((a, b) => b.seconds - a.seconds);
      const startup = marks.length > 0 ? (marks[0].t - started) / 1000 : null;
      resolve({ series, release, passed, failed, skipped, seconds: (Date.now() - started) / 1000, startup, files });
    });
  });
}

const results = [];
if (parallel) results.push(...(await Promise.all(kernels.map(runKernel))));
else for (const k of kernels) results.push(await runKernel(k));

let passed = 0;
let failed = 0;
let skipped = 0;
for (const r of results) {
  if (r.startup !== null) {
    const files = r.files.map((f) => `${f.name} ${f.seconds.toFixed(1)}`).join(', ');
    console.log(`kernel ${r.release} seconds: boot + node start + imports ${r.startup.toFixed(1)}; running ${files}`);
  }
  console.log(`kernel ${r.release}: ${r.passed} passed, ${r.failed} failed, ${r.skipped} skipped (${r.seconds.toFixed(0)} s)`);
  passed += r.passed;
  failed += r.failed;
  skipped += r.skipped;
}
console.log(`VM stage: ${((Date.now() - t0) / 1000).toFixed(0)} s`);
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed === 0 ? 0 : 1);
