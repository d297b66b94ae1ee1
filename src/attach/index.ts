/**
 * Attaching programs: each attach kind returns a {@link Link}; closing it detaches.
 * @module
 */

export * from './link.js';
export * from './perf-event-link.js';
export * from './tracepoint.js';
export * from './raw-tracepoint.js';
export * from './vmlinux-btf-id.js';
export * from './tp-btf.js';
export * from './perf-event.js';
export * from './socket-filter.js';
export * from './elf-symbols.js';
export * from './uprobe.js';
export * from './kprobe.js';
export * from './netdev.js';
export * from './xdp.js';
export * from './tcx.js';
export * from './cgroup.js';
export * from './link-update.js';
export * from './kernel-symbols.js';
export * from './syscall-name.js';
export * from './kprobe-events.js';
export * from './kprobe-multi.js';
export * from './tracing.js';
export * from './lsm.js';
export * from './cleanup.js';
export * from './attached-programs.js';
export * from './usdt.js';
