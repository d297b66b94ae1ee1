/**
 * The tracefs record layouts of the syscall tracepoints the tools use, as Linux 6.18 prints them
 * (`/sys/kernel/tracing/events/syscalls/<name>/format`), for building the tools' programs without
 * tracefs (the offline path of `npm start`, unit tests). These layouts have been stable since
 * syscall tracepoints exist (a 4-byte `__syscall_nr` at 8, 8-byte arguments from 16); live runs
 * read the running kernel's format instead.
 * @module
 */

import { parseTracepointFormat, type TracepointFormat } from '../tracefs/format.js';

const COMMON = `	field:unsigned short common_type;	offset:0;	size:2;	signed:0;
	field:unsigned char common_flags;	offset:2;	size:1;	signed:0;
	field:unsigned char common_preempt_count;	offset:3;	size:1;	signed:0;
	field:int common_pid;	offset:4;	size:4;	signed:1;

	field:int __syscall_nr;	offset:8;	size:4;	signed:1;
`;

/** `syscalls:sys_enter_openat` (dfd, filename, flags, mode). */
export const SYS_ENTER_OPENAT_FORMAT: TracepointFormat = parseTracepointFormat(`name: sys_enter_openat
ID: 782
format:
${COMMON}	field:int dfd;	offset:16;	size:8;	signed:0;
	field:const char * filename;	offset:24;	size:8;	signed:0;
	field:int flags;	offset:32;	size:8;	signed:0;
	field:umode_t mode;	offset:40;	size:8;	signed:0;

print fmt: "dfd: 0x%08lx, filename: 0x%08lx, flags: 0x%08lx, mode: 0x%08lx", ((unsigned long)(REC->dfd)), ((unsigned long)(REC->filename)), ((unsigned long)(REC->flags)), ((unsigned long)(REC->mode))
`);

/** `syscalls:sys_exit_openat` (ret). */
export const SYS_EXIT_OPENAT_FORMAT: TracepointFormat = parseTracepointFormat(`name: sys_exit_openat
ID: 781
format:
${COMMON}	field:long ret;	offset:16;	size:8;	signed:1;

print fmt: "0x%lx", REC->ret
`);
