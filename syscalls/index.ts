/**
 * `syscalls/`: the only part of tsbpf that talks to the kernel. One dispatch point
 * ({@link currentBackend}, replaceable with {@link installBackend}), attr layouts with the
 * kernel's field names, errno → {@link SyscallError}, and one thin typed function per `bpf()`
 * command. Imports only koffi (lazily) and node.
 * @module
 */

export * from './backend.js';
export * from './errno.js';
export * from './errors.js';
export * from './bpf-cmd.js';
export * from './bpf.js';
export * from './attr/layout.js';
export * from './attr/map-create.js';
export * from './attr/prog-load.js';
export * from './attr/prog-test-run.js';
export * from './attr/obj-get-info-by-fd.js';
export * from './attr/btf-load.js';
export * from './attr/prog-info.js';
export * from './attr/map-info.js';
export * from './verifier-log.js';
export * from './map-create.js';
export * from './prog-load.js';
export * from './prog-test-run.js';
export * from './obj-get-info-by-fd.js';
export * from './prog-info.js';
export * from './map-info.js';
export * from './btf-load.js';
export * from './close-fd.js';
export * from './attr/map-elem.js';
export * from './attr/map-batch.js';
export * from './attr/obj-pin.js';
export * from './attr/get-id.js';
export * from './attr/enable-stats.js';
export * from './map-elem.js';
export * from './map-batch.js';
export * from './obj-pin.js';
export * from './get-id.js';
export * from './enable-stats.js';
export * from './attr/perf-event-attr.js';
export * from './attr/link-create.js';
export * from './attr/raw-tracepoint-open.js';
export * from './perf-event.js';
export * from './perf-event-open.js';
export * from './ioctl.js';
export * from './mmap.js';
export * from './epoll.js';
export * from './link-create.js';
export * from './raw-tracepoint-open.js';
export * from './prog-attach-socket.js';
export * from './link-info.js';
export * from './attr/prog-attach.js';
export * from './prog-attach.js';
export * from './attr/link-update.js';
export * from './link-update.js';
export * from './attr/link-detach.js';
export * from './link-detach.js';
export * from './attr/prog-query.js';
export * from './prog-query.js';
