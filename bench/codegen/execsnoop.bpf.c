/* execsnoop as src/tools/execsnoop.ts builds it with no filters and 20 arguments (BCC's
 * execsnoop on the execve tracepoints): one event per argument, then the return value. The
 * task_struct offsets are the eDSL's build-time constants; here they come from -D flags that
 * bench/codegen.ts sets from the running kernel's BTF. */
#include "bpf-min.h"

#define MAXARG 20
enum { EVENT_ARG = 0, EVENT_RET = 1, EVENT_TRUNCATED = 2 };

struct exec_event { __u64 ts; __u32 pid; __u32 ppid; __u32 uid; __u32 type; __s64 ret; char comm[16]; char arg[128]; };

struct { __uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY); __uint(key_size, 4); __uint(value_size, 4); } events SEC(".maps");

struct enter_execve { __u64 common; __s32 nr; __u32 pad; __u64 filename; __u64 argv; __u64 envp; };
struct exit_execve { __u64 common; __s32 nr; __u32 pad; __s64 ret; };

static __attribute__((always_inline)) void header(struct exec_event *ev, __u32 type)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 uid = (__u32)bpf_get_current_uid_gid();
	__u64 task = bpf_get_current_task(), parent = 0;
	__u32 ppid = 0;
	bpf_probe_read_kernel(&parent, sizeof(parent), (void *)(task + TASK_REAL_PARENT));
	bpf_probe_read_kernel(&ppid, sizeof(ppid), (void *)(parent + TASK_TGID));
	ev->ts = bpf_ktime_get_ns();
	ev->pid = id >> 32;
	ev->ppid = ppid;
	ev->uid = uid;
	ev->type = type;
	bpf_get_current_comm(&ev->comm, sizeof(ev->comm));
}

SEC("tracepoint/syscalls/sys_enter_execve")
int execsnoop_enter(struct enter_execve *ctx)
{
	struct exec_event ev = {};
	header(&ev, EVENT_ARG);
	bpf_probe_read_user_str(&ev.arg, sizeof(ev.arg), (const void *)ctx->filename);
	bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU, &ev, sizeof(ev));
	const __u64 *argv = (const __u64 *)ctx->argv;
#pragma unroll
	for (int i = 1; i < MAXARG; i++) {
		__u64 p = 0;
		bpf_probe_read_user(&p, sizeof(p), &argv[i]);
		if (!p)
			return 0;
		bpf_probe_read_user_str(&ev.arg, sizeof(ev.arg), (const void *)p);
		bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU, &ev, sizeof(ev));
	}
	__u64 more = 0;
	bpf_probe_read_user(&more, sizeof(more), &argv[MAXARG]);
	if (more) {
		ev.type = EVENT_TRUNCATED;
		bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU, &ev, sizeof(ev));
	}
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_execve")
int execsnoop_exit(struct exit_execve *ctx)
{
	struct exec_event ev = {};
	header(&ev, EVENT_RET);
	ev.ret = ctx->ret;
	bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU, &ev, sizeof(ev));
	return 0;
}
