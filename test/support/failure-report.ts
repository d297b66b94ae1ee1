/**
 * Preloaded by the VM test runner (test/vm/run.js → test/vm/guest-uvu.js): the report of a
 * failing test shows what explains a kernel failure, appended to the error's `stack` (which is
 * what uvu prints for a failed test):
 *
 * - the verifier log: any error with a non-empty string `log` field (`SyscallError` of
 *   BPF_PROG_LOAD / BPF_BTF_LOAD, `VerifierError`) gets the log's last 40 lines;
 * - inside the test VM (`TSBPF_IN_VM=1`), the guest kernel's messages (`dmesg`) printed since
 *   the previous report (at most the last 20 lines).
 *
 * Nothing else changes: the message, the fields and `instanceof` stay the same. V8 formats
 * `stack` lazily, on first access, after the constructor has set `log`.
 * @module
 */

import { execFileSync } from 'node:child_process';

const LOG_LINES = 40;
const KERNEL_LINES = 20;

/** The report appended to a stack: `verifier log (last N of M lines):` and the lines. */
export function verifierLogReport(log: string): string {
  const lines = log.replace(/\n+$/, '').split('\n');
  const tail = lines.slice(-LOG_LINES);
  return `\n    verifier log (last ${tail.length} of ${lines.length} lines):\n${tail.map((l) => `      ${l}`).join('\n')}`;
}

let kernelLinesSeen = 0;

/** The guest kernel's messages since the previous call (none outside the VM, or without dmesg). */
function kernelLogReport(): string {
  if (process.env.TSBPF_IN_VM !== '1') return '';
  let lines: string[];
  try {
    lines = execFileSync('dmesg', { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 10_000 }).replace(/\n+$/, '').split('\n');
  } catch {
    return '';
  }
  const fresh = lines.slice(kernelLinesSeen);
  kernelLinesSeen = lines.length;
  if (fresh.length === 0) return '\n    guest kernel log: nothing new since the previous report';
  const tail = fresh.slice(-KERNEL_LINES);
  return `\n    guest kernel log since the previous report (last ${tail.length} of ${fresh.length} lines):\n${tail.map((l) => `      ${l}`).join('\n')}`;
}

// The boot messages are not news: start counting at the first test.
kernelLogReport();

const previous = Error.prepareStackTrace;
Error.prepareStackTrace = (error: Error, frames: NodeJS.CallSite[]) => {
  const base = previous !== undefined ? previous(error, frames) : `${String(error)}${frames.map((f) => `\n    at ${f.toString()}`).join('')}`;
  const log = (error as { log?: unknown }).log;
  const verifier = typeof log === 'string' && log.trim() !== '' ? verifierLogReport(log) : '';
  return `${base}${verifier}${kernelLogReport()}`;
};
