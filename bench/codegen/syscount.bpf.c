/* syscount as src/tools/syscount.ts builds it without filters, counting only (BCC's syscount
 * without -L): raw_syscalls:sys_exit adds one to the count of the syscall number. */
#include "bpf-min.h"

struct { __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, 1024); __type(key, __u32); __type(value, __u64); } data SEC(".maps");

struct raw_sys_exit { __u64 common; __s64 id; __s64 ret; };

SEC("tracepoint/raw_syscalls/sys_exit")
int syscount_exit(struct raw_sys_exit *ctx)
{
	__u32 nr = (__u32)ctx->id;
	__u64 *count = bpf_map_lookup_elem(&data, &nr);
	if (count) {
		__sync_fetch_and_add(count, 1);
	} else {
		__u64 one = 1;
		bpf_map_update_elem(&data, &nr, &one, 0);
	}
	return 0;
}
