/**
 * The errno values helpers return (negated), from the kernel's `include/uapi/asm-generic/errno-base.h`
 * and `errno.h`.
 * @module
 */

/** Errno numbers helpers use; a helper returns `-errno`. */
export const Errno = {
  ENOENT: 2,
  E2BIG: 7,
  EAGAIN: 11,
  ENOMEM: 12,
  EACCES: 13,
  EFAULT: 14,
  EBUSY: 16,
  EEXIST: 17,
  EINVAL: 22,
  ENOSPC: 28,
  ERANGE: 34,
  EOPNOTSUPP: 95,
  /** The kernel-internal `ENOTSUPP` (include/linux/errno.h), which some helpers return. */
  ENOTSUPP: 524,
} as const;
