/**
 * Helpers whose kernel prototype sets `might_sleep` (kernel/bpf/helpers.c, kernel/bpf/bpf_lsm.c,
 * Linux 6.18): `check_helper_call()` refuses them in a program that is not sleepable with
 * `helper call might sleep in a non-sleepable prog`. The offline verifier checks programs as
 * non-sleepable (it has no `BPF_F_SLEEPABLE`).
 * @module
 */

const MIGHT_SLEEP: ReadonlySet<string> = new Set([
  'bpf_copy_from_user',
  'bpf_copy_from_user_task',
  'bpf_ima_inode_hash',
  'bpf_ima_file_hash',
]);

/** Whether the helper named `name` may sleep (its `bpf_func_proto` has `might_sleep = true`). */
export function helperMightSleep(name: string): boolean {
  return MIGHT_SLEEP.has(name);
}

/** The kernel's message for a sleeping helper called from a non-sleepable program. */
export const MIGHT_SLEEP_ERROR = 'helper call might sleep in a non-sleepable prog';
