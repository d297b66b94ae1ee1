/* opensnoop as src/tools/opensnoop.ts builds it with no filters and the perf transport (BCC's
 * opensnoop tracepoint version): the C the eDSL program is compared with in bench/codegen.ts. */
#include "bpf-min.h"

struct open_info { __u64 ts; __u64 fname; __u64 flags; };
struct open_event { __u64 ts; __u32 pid; __u32 tid; __u32 uid; __u32 flags; __s64 ret; char comm[16]; char path[256]; };

struct { __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, 10240); __type(key, __u64); __type(value, struct open_info); } infotmp SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY); __uint(key_size, 4); __uint(value_size, 4); } events SEC(".maps");

/* syscalls:sys_enter_openat and sys_exit_openat records (tracefs format). */
struct enter_openat { __u64 common; __s32 nr; __u32 pad; __u64 dfd; __u64 filename; __u64 flags; __u64 mode; };
struct exit_openat { __u64 common; __s32 nr; __u32 pad; __s64 ret; };

SEC("tracepoint/syscalls/sys_enter_openat")
int opensnoop_enter(struct enter_openat *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct open_info info = { .ts = bpf_ktime_get_ns(), .fname = ctx->filename, .flags = ctx->flags };
	bpf_map_update_elem(&infotmp, &id, &info, 0);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_openat")
int opensnoop_exit(struct exit_openat *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct open_info *info = bpf_map_lookup_elem(&infotmp, &id);
	if (!info)
		return 0;
	struct open_event ev = {};
	ev.ts = bpf_ktime_get_ns();
	ev.pid = id >> 32;
	ev.tid = (__u32)id;
	ev.uid = (__u32)bpf_get_current_uid_gid();
	ev.flags = info->flags;
	ev.ret = ctx->ret;
	bpf_get_current_comm(&ev.comm, sizeof(ev.comm));
	bpf_probe_read_user_str(&ev.path, sizeof(ev.path), (const void *)info->fname);
	bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU, &ev, sizeof(ev));
	bpf_map_delete_elem(&infotmp, &id);
	return 0;
}
