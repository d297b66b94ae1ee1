/**
 * A hand-built stand-in for vmlinux BTF, for offline tests of BTF-id pointers and kfunc calls
 * on machines without `/sys/kernel/btf/vmlinux`.
 * @module
 */
import { encodeBtf, type Type } from 'ebpf-bytecode-utils';


/**
 * A small kernel BTF blob with the names the BTF-id and kfunc tests use: `task_struct` (flags,
 * cpus_ptr, mm, pid, tgid, real_parent, parent, group_leader, comm, cgroups), its
 * `task_struct__safe_rcu` allow-list, `mm_struct` (nested anonymous structs), `css_set`,
 * `bpf_ctx_convert` (socket_filter, sched_cls, xdp, tracepoint), the `btf_trace_sched_switch`
 * and `btf_trace_sched_pi_setprio` tracepoint typedefs, the kfuncs of
 * kernel/bpf/helpers.c the simulator tables (tagged `bpf_kfunc`), and the untagged `schedule`.
 */
export function miniKernelBtf(): Uint8Array {
  const int: Type = { kind: 'int', name: 'int', size: 4, encoding: 1, bitOffset: 0, bits: 32 };
  const u64: Type = { kind: 'typedef', name: 'u64', target: { kind: 'int', name: 'long long unsigned int', size: 8, encoding: 0, bitOffset: 0, bits: 64 } };
  const pidT: Type = { kind: 'typedef', name: 'pid_t', target: int };
  const char: Type = { kind: 'int', name: 'char', size: 1, encoding: 2, bitOffset: 0, bits: 8 };
  const longT: Type = { kind: 'int', name: 'long int', size: 8, encoding: 1, bitOffset: 0, bits: 64 };
  const sizeT: Type = { kind: 'int', name: '__ARRAY_SIZE_TYPE__', size: 4, encoding: 0, bitOffset: 0, bits: 32 };
  const cpumask: Type = { kind: 'struct', name: 'cpumask', size: 8, members: [{ name: 'bits', type: { kind: 'array', element: u64, index: sizeT, length: 1 }, bitOffset: 0, bitfieldSize: 0 }] };
  const css: Type = { kind: 'struct', name: 'cgroup_subsys_state', size: 8, members: [{ name: 'flags', type: u64, bitOffset: 0, bitfieldSize: 0 }] };
  const cssSet: Type = { kind: 'struct', name: 'css_set', size: 112, members: [{ name: 'subsys', type: { kind: 'array', element: { kind: 'ptr', target: css }, index: sizeT, length: 14 }, bitOffset: 0, bitfieldSize: 0 }] };
  const mmCount: Type = { kind: 'struct', name: '', size: 4, members: [{ name: 'mm_count', type: int, bitOffset: 0, bitfieldSize: 0 }] };
  const mmBody: Type = { kind: 'struct', name: '', size: 16, members: [{ name: '', type: mmCount, bitOffset: 0, bitfieldSize: 0 }, { name: 'task_size', type: longT, bitOffset: 64, bitfieldSize: 0 }] };
  const mm: Type = { kind: 'struct', name: 'mm_struct', size: 16, members: [{ name: '', type: mmBody, bitOffset: 0, bitfieldSize: 0 }] };
  const taskStruct = { kind: 'struct' as const, name: 'task_struct', size: 128, members: [] as { name: string; type: Type; bitOffset: number; bitfieldSize: number }[] };
  const taskPtr: Type = { kind: 'ptr', target: taskStruct };
  const cpusPtr: Type = { kind: 'ptr', target: { kind: 'const', target: { kind: 'typedef', name: 'cpumask_t', target: cpumask } } };
  const m = (name: string, type: Type, byte: number) => ({ name, type, bitOffset: byte * 8, bitfieldSize: 0 });
  taskStruct.members.push(
    m('flags', u64, 0), m('cpus_ptr', cpusPtr, 8), m('mm', { kind: 'ptr', target: mm }, 16), m('pid', pidT, 24), m('tgid', pidT, 28),
    m('real_parent', taskPtr, 32), m('parent', taskPtr, 40), m('group_leader', taskPtr, 48), m('comm', { kind: 'array', element: char, index: sizeT, length: 16 }, 56),
    m('cgroups', { kind: 'ptr', target: cssSet }, 72),
  );
  const safeRcu: Type = { kind: 'struct', name: 'task_struct__safe_rcu', size: 32, members: [m('cpus_ptr', cpusPtr, 0), m('cgroups', { kind: 'ptr', target: cssSet }, 8), m('real_parent', taskPtr, 16), m('group_leader', taskPtr, 24)] };
  const skBuff: Type = { kind: 'struct', name: 'sk_buff', size: 16, members: [m('len', u64, 0), m('data_len', u64, 8)] };
  const xdpBuff: Type = { kind: 'struct', name: 'xdp_buff', size: 16, members: [m('data', u64, 0), m('data_end', u64, 8)] };
  const conv: Type = {
    kind: 'struct', name: 'bpf_ctx_convert', size: 56,
    members: [m('BPF_PROG_TYPE_SOCKET_FILTER_kern', skBuff, 0), m('BPF_PROG_TYPE_SCHED_CLS_kern', skBuff, 16), m('BPF_PROG_TYPE_XDP_kern', xdpBuff, 32), m('BPF_PROG_TYPE_TRACEPOINT_kern', u64, 48)],
  };
  const voidPtr: Type = { kind: 'ptr', target: { kind: 'void' } };
  const fn = (name: string, params: [string, Type][], returns: Type): Type => ({ kind: 'func', name, linkage: 1, proto: { kind: 'func_proto', returns, params: params.map(([n, t]) => ({ name: n, type: t })) } });
  const kfuncs: Type[] = [
    fn('bpf_task_acquire', [['p', taskPtr]], taskPtr), fn('bpf_task_release', [['p', taskPtr]], { kind: 'void' }), fn('bpf_task_from_pid', [['pid', int]], taskPtr),
    fn('bpf_rcu_read_lock', [], { kind: 'void' }), fn('bpf_rcu_read_unlock', [], { kind: 'void' }), fn('bpf_cast_to_kern_ctx', [['obj', voidPtr]], voidPtr),
    fn('bpf_rdonly_cast', [['obj__ign', voidPtr], ['btf_id__k', { kind: 'typedef', name: 'u32', target: { kind: 'int', name: 'unsigned int', size: 4, encoding: 0, bitOffset: 0, bits: 32 } }]], voidPtr),
  ];
  const iterNum: Type = { kind: 'struct', name: 'bpf_iter_num', size: 8, members: [m('__opaque', u64, 0)] };
  const iterPtr: Type = { kind: 'ptr', target: iterNum };
  kfuncs.push(
    fn('bpf_iter_num_new', [['it', iterPtr], ['start', int], ['end', int]], int),
    fn('bpf_iter_num_next', [['it', iterPtr]], { kind: 'ptr', target: int }),
    fn('bpf_iter_num_destroy', [['it', iterPtr]], { kind: 'void' }),
  );
  const boolT: Type = { kind: 'int', name: '_Bool', size: 1, encoding: 4, bitOffset: 0, bits: 8 };
  const uint: Type = { kind: 'int', name: 'unsigned int', size: 4, encoding: 0, bitOffset: 0, bits: 32 };
  const trace = (tp: string, params: [string, Type][]): Type => ({
    kind: 'typedef', name: `btf_trace_${tp}`, target: { kind: 'ptr', target: { kind: 'func_proto', returns: { kind: 'void' }, params: [{ name: '', type: voidPtr }, ...params.map(([n, t]) => ({ name: n, type: t }))] } },
  });
  const traces = [trace('sched_switch', [['', boolT], ['', taskPtr], ['', taskPtr], ['', uint]]), trace('sched_pi_setprio', [['', taskPtr], ['', taskPtr]])];
  const tags: Type[] = kfuncs.map((target) => ({ kind: 'decl_tag', value: 'bpf_kfunc', target, componentIndex: -1, attribute: false }));
  return encodeBtf([taskStruct, safeRcu, conv, ...kfuncs, ...tags, ...traces, fn('schedule', [], { kind: 'void' })]).bytes;
}

