/**
 * {@link SyscallError}: a failed system call with its errno, and a message that says what the
 * errno means for that call.
 * @module
 */

import { BpfCmd, bpfCmdName } from './bpf-cmd.js';
import { Errno, errnoName, errnoText } from './errno.js';

/** Extra facts a {@link SyscallError} can carry. */
export interface SyscallErrorDetails {
  /** The verifier log (BPF_PROG_LOAD) or BTF log (BPF_BTF_LOAD), when one was collected. */
  readonly log?: string;
  /** `log_true_size`: the buffer size the whole log needs, in bytes (including the NUL). */
  readonly logTrueSize?: number;
  /** A phrase replacing the built-in explanation of the errno. */
  readonly reason?: string;
}

/**
 * A system call that failed. `call` names the call as written in messages
 * (`'bpf(BPF_PROG_LOAD)'`, `'close'`), `errno` is the number and `code` its name (`'EACCES'`).
 *
 * The message puts the call first: `bpf(BPF_MAP_CREATE): permission denied (needs CAP_BPF or root)`.
 * For BPF_PROG_LOAD it ends with the verifier's error line when a log was collected, and the
 * whole log is in {@link SyscallError.log}.
 */
export class SyscallError extends Error {
  override name = 'SyscallError';
  /** The call that failed: `'bpf(BPF_PROG_LOAD)'`, `'close'`. */
  readonly call: string;
  /** The errno (positive). */
  readonly errno: number;
  /** The errno's name: `'EPERM'`, `'EINVAL'`, … (`'E<n>'` when Linux has no name for it). */
  readonly code: string;
  /** The verifier or BTF log, when one was collected. */
  readonly log: string | undefined;
  /** `log_true_size` reported by the kernel, when known. */
  readonly logTrueSize: number | undefined;

  constructor(call: string, errno: number, details: SyscallErrorDetails = {}) {
    const reason = details.reason ?? explain(call, errno, details);
    super(`${call}: ${reason}`);
    this.call = call;
    this.errno = errno;
    this.code = errnoName(errno);
    this.log = details.log;
    this.logTrueSize = details.logTrueSize;
  }
}

/** The call name used for `bpf(cmd)` in {@link SyscallError.call}: `bpf(BPF_MAP_CREATE)`. */
export function bpfCallName(cmd: number): string {
  return `bpf(${bpfCmdName(cmd)})`;
}

/** Creates the {@link SyscallError} of a failed `bpf(cmd)`. */
export function bpfError(cmd: number, errno: number, details?: SyscallErrorDetails): SyscallError {
  return new SyscallError(bpfCallName(cmd), errno, details);
}

/**
 * The verifier's error line in a log: the last line that is not part of the closing
 * statistics (`processed N insns …`, `verification time …`, `stack depth …`), or undefined.
 */
export function verifierErrorLine(log: string): string | undefined {
  const lines = log.split('\n');
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i].trim();
    if (line === '' || /^processed \d+ insns/.test(line) || /^verification time/.test(line) || /^stack depth/.test(line)) continue;
    if (/^-- END PROG LOAD LOG --$/.test(line)) continue;
    return line;
  }
  return undefined;
}

const PROG_LOAD = bpfCallName(BpfCmd.PROG_LOAD);
const BTF_LOAD = bpfCallName(BpfCmd.BTF_LOAD);
const PROG_TEST_RUN = bpfCallName(BpfCmd.PROG_TEST_RUN);

function explain(call: string, errno: number, details: SyscallErrorDetails): string {
  const isBpf = call.startsWith('bpf(');
  const logLine = details.log !== undefined ? verifierErrorLine(details.log) : undefined;
  const withLog = (text: string) => (logLine === undefined ? text : `${text}: ${logLine}`);
  switch (errno) {
    case Errno.EPERM:
      if (call === PROG_LOAD) return withLog('permission denied (needs CAP_BPF or root, plus CAP_PERFMON or CAP_NET_ADMIN for some program types; lockdown can also refuse)');
      return isBpf ? 'permission denied (needs CAP_BPF or root)' : errnoText(errno);
    case Errno.EACCES:
      if (call === PROG_LOAD) return withLog('the verifier rejected the program');
      if (call === BTF_LOAD) return withLog('the kernel rejected the BTF');
      return errnoText(errno);
    case Errno.EINVAL:
      if (call === PROG_LOAD) return withLog('invalid argument (the program or an attr field was rejected)');
      if (call === BTF_LOAD) return withLog('invalid argument (the BTF was rejected)');
      return isBpf ? 'invalid argument (an attr field is invalid or not supported by this kernel)' : errnoText(errno);
    case Errno.ENOSPC: {
      const need = details.logTrueSize ? ` (${details.logTrueSize} bytes needed)` : '';
      if (call === PROG_LOAD) return `verifier log buffer too small${need}`;
      if (call === BTF_LOAD) return `BTF log buffer too small${need}`;
      if (call === PROG_TEST_RUN) return 'output buffer too small (data_out or ctx_out)';
      return errnoText(errno);
    }
    case Errno.E2BIG:
      if (call === PROG_LOAD) return withLog('program or attr too big (too many instructions, or an attr field this kernel does not know is non-zero)');
      return isBpf ? 'attr too big (a field this kernel does not know is non-zero, or a size exceeds its limit)' : errnoText(errno);
    case Errno.ENOMEM:
      return isBpf ? 'cannot allocate memory (object too large, or the memlock/memcg limit is reached)' : errnoText(errno);
    case Errno.EFAULT:
      return isBpf ? 'bad address (a pointer in the attr is invalid)' : errnoText(errno);
    case Errno.ENOSYS:
      return isBpf ? 'function not implemented (kernel built without CONFIG_BPF_SYSCALL)' : errnoText(errno);
    case Errno.EBADF:
      return isBpf ? 'bad file descriptor (an fd in the attr is not open or not of the right kind)' : errnoText(errno);
    case Errno.ENOTSUPP:
    case Errno.EOPNOTSUPP:
      return isBpf ? withLog('operation not supported by this kernel') : errnoText(errno);
    default:
      return isBpf && logLine !== undefined ? `${errnoText(errno)}: ${logLine}` : errnoText(errno);
  }
}
