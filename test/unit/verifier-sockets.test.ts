/**
 * Socket pointers in the offline verifier: a case table (program, program type, the Linux 6.18
 * verifier's verdict for a root loader, its first error line and processed count) for the
 * socket lookups and their references (`bpf_sk_lookup_tcp`/`_udp`, `bpf_skc_lookup_tcp`,
 * `bpf_sk_release`), the pointer casts (`bpf_sk_fullsock`, `bpf_tcp_sock`,
 * `bpf_get_listener_sock`), `__sk_buff->sk`, field reads of `struct bpf_sock` /
 * `struct bpf_tcp_sock`, and what is forbidden (writes, arithmetic, unchecked NULL, leaks).
 * Every row is checked here against `verify()`, and against the live kernel by
 * `test/kernel/verifier-sockets-vs-kernel.test.ts`.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Add, Atomic, Call, Exit, JEq, JGT, JNE, Label, LoadAbs, LoadMapPtr, LoadMem, Mov, R0, R1, R2, R3, R4, R5, R6, R7, R8, R10, Size, StoreImm, StoreMem, resolve, type Instruction, type ProgramItem } from 'ebpf-bytecode-utils';
import { verify, type MapSpec } from '../../verifier-sim/verifier/index.js';
import type { VerifierCase } from './verifier-cases.test.js';

const p = (...items: ProgramItem[]): Instruction[] => resolve(items).instructions;

/** Helper ids (include/uapi/linux/bpf.h). */
const SK_LOOKUP_TCP = 84;
const SK_LOOKUP_UDP = 85;
const SK_RELEASE = 86;
const SK_FULLSOCK = 95;
const TCP_SOCK = 96;
const GET_LISTENER_SOCK = 98;
const SKC_LOOKUP_TCP = 99;

/** `offsetof(struct __sk_buff, sk)`. */
const SKB_SK = 168;

/**
 * `r6 = r1` is assumed; a zeroed IPv4 `struct bpf_sock_tuple` (12 bytes) at fp-16, then
 * `call <helper>(ctx, tuple, 12, netns 0, flags 0)`: the call is the 8th instruction of this
 * sequence.
 */
const lookup = (helper = SK_LOOKUP_TCP): ProgramItem[] => [
  StoreImm(R10, -8, 0, Size.DW), StoreImm(R10, -16, 0, Size.DW), Mov.reg(R1, R6), Mov.reg(R2, R10), Add.imm(R2, -16), Mov.imm(R3, 12), Mov.imm(R4, 0), Mov.imm(R5, 0), Call.helper(helper),
];
/** `r1 = rN; call bpf_sk_release` */
const release = (reg = R0): ProgramItem[] => [Mov.reg(R1, reg), Call.helper(SK_RELEASE)];
const PROGS: MapSpec = { type: 'prog_array', keySize: 4, valueSize: 4, maxEntries: 4 };
const SOCKMAP: MapSpec = { type: 'sockmap', keySize: 4, valueSize: 4, maxEntries: 4 };
const SOCKHASH: MapSpec = { type: 'sockhash', keySize: 4, valueSize: 8, maxEntries: 4 };
const XSKMAP: MapSpec = { type: 'xskmap', keySize: 4, valueSize: 4, maxEntries: 4 };
/** `*(u32 *)(fp-4) = 0; r2 = fp-4; r1 = map[0]; call bpf_map_lookup_elem` (the call is slot 5). */
const mapLookup = (): ProgramItem[] => [StoreImm(R10, -4, 0, Size.W), Mov.reg(R2, R10), Add.imm(R2, -4), LoadMapPtr(R1, 0), Call.helper(1)];
const ret0: ProgramItem[] = [Mov.imm(R0, 0), Exit()];
/** Save ctx, look a socket up, `if r0 == 0 goto out`, `body`, release R0 (or `releaseReg`), `out: return 0`. */
const withSocket = (body: ProgramItem[], helper = SK_LOOKUP_TCP, releaseReg = R0): ProgramItem[] => [Mov.reg(R6, R1), ...lookup(helper), JEq.imm(R0, 0, 'out'), ...body, ...release(releaseReg), Label('out'), ...ret0];
/** `r1 = skb->sk; if r1 == 0 goto out; body; out: return 0` */
const withSkbSk = (body: ProgramItem[]): ProgramItem[] => [LoadMem(R1, R1, SKB_SK, Size.DW), JEq.imm(R1, 0, 'out'), ...body, Label('out'), ...ret0];
const SOCK_COMMON_ARG = 'sock_common, sock, tcp_sock, xdp_sock';
const RELEASE_ARG = `${SOCK_COMMON_ARG}, ptr_, trusted_ptr_`;

/** The rows. Lookups acquire reference id 2 (id 1 is spent on the maybe-NULL id first). */
export const socketCases: readonly VerifierCase[] = [
  // --- lookups, null checks, release ---
  { name: 'sk_lookup_tcp, null check, release', progType: 'sched_cls', insns: p(...withSocket([])), verdict: 'accept', error: null, processed: 16 },
  { name: 'sk_lookup_udp, null check, release', progType: 'sched_cls', insns: p(...withSocket([], SK_LOOKUP_UDP)), verdict: 'accept', error: null, processed: 16 },
  { name: 'skc_lookup_tcp, null check, release', progType: 'sched_cls', insns: p(...withSocket([], SKC_LOOKUP_TCP)), verdict: 'accept', error: null, processed: 16 },
  { name: 'sk_lookup_tcp in xdp', progType: 'xdp', insns: p(...withSocket([])), verdict: 'accept', error: null, processed: 16 },
  { name: 'sk_lookup_udp in cgroup_skb', progType: 'cgroup_skb', expectedAttachType: 'cgroup_inet_ingress', insns: p(Mov.reg(R6, R1), ...lookup(SK_LOOKUP_UDP), JEq.imm(R0, 0, 'out'), ...release(), Label('out'), Mov.imm(R0, 1), Exit()), verdict: 'accept', error: null, processed: 16 },
  { name: 'sk_lookup_tcp in a socket filter', progType: 'socket_filter', insns: p(...withSocket([])), verdict: 'reject', error: 'program of this type cannot use helper bpf_sk_lookup_tcp#84', processed: 10 },
  { name: 'socket leaked at exit', progType: 'sched_cls', insns: p(Mov.reg(R6, R1), ...lookup(), ...ret0), verdict: 'reject', error: 'Unreleased reference id=2 alloc_insn=9', processed: 12 },
  { name: 'socket leaked on the non-null path', progType: 'sched_cls', insns: p(Mov.reg(R6, R1), ...lookup(), JEq.imm(R0, 0, 'out'), LoadMem(R7, R0, 4, Size.W), Label('out'), ...ret0), verdict: 'reject', error: 'Unreleased reference id=2 alloc_insn=9', processed: 14 },
  { name: 'socket released only when not null, checked with !=', progType: 'sched_cls', insns: p(Mov.reg(R6, R1), ...lookup(), JNE.imm(R0, 0, 'rel'), ...ret0, Label('rel'), ...release(), ...ret0), verdict: 'accept', error: null, processed: 17 },
  { name: 'release without null check', progType: 'sched_cls', insns: p(Mov.reg(R6, R1), ...lookup(), ...release(), ...ret0), verdict: 'reject', error: `R1 type=sock_or_null expected=${RELEASE_ARG}`, processed: 12 },
  { name: 'release of a NULL constant', progType: 'sched_cls', insns: p(Mov.imm(R1, 0), Call.helper(SK_RELEASE), ...ret0), verdict: 'reject', error: `R1 type=scalar expected=${RELEASE_ARG}`, processed: 2 },
  { name: 'release of the context', progType: 'sched_cls', insns: p(Call.helper(SK_RELEASE), ...ret0), verdict: 'reject', error: `R1 type=ctx expected=${RELEASE_ARG}`, processed: 1 },
  { name: 'release of skb->sk (not acquired)', progType: 'sched_cls', insns: p(...withSkbSk([Call.helper(SK_RELEASE)])), verdict: 'reject', error: 'R1 must be referenced when passed to release function', processed: 3 },
  { name: 'socket released twice', progType: 'sched_cls', insns: p(...withSocket([Mov.reg(R7, R0), ...release(), Mov.reg(R0, R7)])), verdict: 'reject', error: `R1 type=scalar expected=${RELEASE_ARG}`, processed: 17 },
  { name: 'copy of a socket used after release', progType: 'sched_cls', insns: p(Mov.reg(R6, R1), ...lookup(), JEq.imm(R0, 0, 'out'), Mov.reg(R7, R0), ...release(), LoadMem(R0, R7, 4, Size.W), Label('out'), ...ret0), verdict: 'reject', error: "R7 invalid mem access 'scalar'", processed: 15 },
  { name: 'null check on a copy marks the original', progType: 'sched_cls', insns: p(Mov.reg(R6, R1), ...lookup(), Mov.reg(R7, R0), JEq.imm(R7, 0, 'out'), LoadMem(R2, R0, 4, Size.W), ...release(), Label('out'), ...ret0), verdict: 'accept', error: null, processed: 18 },
  { name: 'socket spilled, filled and released', progType: 'sched_cls', insns: p(...withSocket([StoreMem(R10, -24, R0, Size.DW), Mov.imm(R0, 0), LoadMem(R0, R10, -24, Size.DW)])), verdict: 'accept', error: null, processed: 19 },
  { name: 'two sockets held and released', progType: 'sched_cls', insns: p(Mov.reg(R6, R1), ...lookup(), Mov.reg(R7, R0), ...lookup(SK_LOOKUP_UDP), JEq.imm(R0, 0, 'a'), ...release(), Label('a'), JEq.imm(R7, 0, 'b'), ...release(R7), Label('b'), ...ret0), verdict: 'accept', error: null, processed: 35 },
  { name: 'socket compared with 0 after the null check is never NULL', progType: 'sched_cls', insns: p(...withSocket([JNE.imm(R0, 0, 'nn'), Mov.imm(R7, 1), Label('nn')])), verdict: 'accept', error: null, processed: 18 },
  { name: 'socket held across a subprogram call', progType: 'sched_cls', insns: p(...withSocket([Mov.reg(R7, R0), Call.subprog('f'), Mov.reg(R0, R7)]), Label('f'), Mov.imm(R0, 0), Exit()), verdict: 'accept', error: null, processed: 22 },
  { name: 'socket held across a tail call', progType: 'sched_cls', maps: [PROGS], insns: p(...withSocket([Mov.reg(R7, R0), Mov.reg(R1, R6), LoadMapPtr(R2, 0), Mov.imm(R3, 0), Call.helper(12), Mov.reg(R0, R7)])), verdict: 'reject', error: 'Unreleased reference id=2 alloc_insn=9', processed: 16 },
  { name: 'socket held across ld_abs', progType: 'sched_cls', insns: p(...withSocket([Mov.reg(R7, R0), LoadAbs(Size.B, 0), Mov.reg(R0, R7)])), verdict: 'reject', error: 'Unreleased reference id=2 alloc_insn=9', processed: 13 },
  { name: 'socket released by a subprogram', progType: 'sched_cls', insns: p(Mov.reg(R6, R1), ...lookup(), JEq.imm(R0, 0, 'out'), Mov.reg(R1, R0), Call.subprog('f'), Label('out'), ...ret0, Label('f'), Call.helper(SK_RELEASE), Mov.imm(R0, 0), Exit()), verdict: 'accept', error: null, processed: 20 },
  { name: 'socket leaked by a subprogram', progType: 'sched_cls', insns: p(Call.subprog('f'), ...ret0, Label('f'), Mov.reg(R6, R1), ...lookup(), Exit()), verdict: 'reject', error: 'Unreleased reference id=2 alloc_insn=12', processed: 14 },
  { name: 'a comparison with a register holding 0 is no null check', progType: 'sched_cls', insns: p(Mov.reg(R6, R1), ...lookup(), Mov.imm(R7, 0), JEq.reg(R0, R7, 'out'), ...release(), Label('out'), ...ret0), verdict: 'reject', error: `R1 type=sock_or_null expected=${RELEASE_ARG}`, processed: 14 },
  { name: 'sockets looked up and released in a loop', progType: 'sched_cls', insns: p(Mov.reg(R6, R1), Mov.imm(R8, 0), Label('top'), ...lookup(), JEq.imm(R0, 0, 'next'), ...release(), Label('next'), Add.imm(R8, 1), JNE.imm(R8, 3, 'top'), ...ret0), verdict: 'accept', error: null, processed: 67 },
  { name: 'sockets leaked in a loop', progType: 'sched_cls', insns: p(Mov.reg(R6, R1), Mov.imm(R8, 0), Label('top'), ...lookup(), Add.imm(R8, 1), JNE.imm(R8, 3, 'top'), ...ret0), verdict: 'reject', error: 'Unreleased reference id=2 alloc_insn=10', processed: 37 },
  { name: 'socket held across a join is pruned', progType: 'sched_cls', insns: p(LoadMem(R7, R1, 0, Size.W), ...withSocket([JGT.imm(R7, 5, 'join'), LoadMem(R2, R0, 4, Size.W), Label('join')])), verdict: 'accept', error: null, processed: 23 },
  { name: 'sk_release in a socket filter', progType: 'socket_filter', insns: p(Call.helper(SK_RELEASE), ...ret0), verdict: 'reject', error: 'program of this type cannot use helper bpf_sk_release#86', processed: 1 },
  { name: 'release of tcp_sock from skb->sk (not acquired)', progType: 'sched_cls', insns: p(...withSkbSk([Call.helper(TCP_SOCK), JEq.imm(R0, 0, 'out'), ...release()])), verdict: 'reject', error: 'R1 must be referenced when passed to release function', processed: 6 },
  { name: 'lookup with a tuple size beyond the stack', progType: 'sched_cls', insns: p(Mov.reg(R6, R1), StoreImm(R10, -8, 0, Size.DW), Mov.reg(R1, R6), Mov.reg(R2, R10), Add.imm(R2, -8), Mov.imm(R3, 12), Mov.imm(R4, 0), Mov.imm(R5, 0), Call.helper(SK_LOOKUP_TCP), ...ret0), verdict: 'reject', error: 'invalid read from stack R2 off=-8 size=12', processed: 9 },
  { name: 'lookup with a scalar context', progType: 'sched_cls', insns: p(Mov.imm(R1, 0), Mov.reg(R2, R10), Add.imm(R2, -16), StoreImm(R10, -16, 0, Size.DW), StoreImm(R10, -8, 0, Size.DW), Mov.imm(R3, 12), Mov.imm(R4, 0), Mov.imm(R5, 0), Call.helper(SK_LOOKUP_TCP), ...ret0), verdict: 'reject', error: 'R1 type=scalar expected=ctx', processed: 9 },
  // --- sockmap, sockhash and xskmap lookups: the value is a socket once checked ---
  { name: 'sockmap lookup, null check, family, release', progType: 'sched_cls', maps: [SOCKMAP], insns: p(...mapLookup(), JEq.imm(R0, 0, 'out'), LoadMem(R2, R0, 4, Size.W), ...release(), Label('out'), ...ret0), verdict: 'accept', error: null, processed: 12 },
  { name: 'sockhash lookup, null check, release', progType: 'sched_cls', maps: [SOCKHASH], insns: p(...mapLookup(), JEq.imm(R0, 0, 'out'), ...release(), Label('out'), ...ret0), verdict: 'accept', error: null, processed: 11 },
  { name: 'sockmap lookup in a socket filter', progType: 'socket_filter', maps: [SOCKMAP], insns: p(...mapLookup(), JEq.imm(R0, 0, 'out'), ...release(), Label('out'), ...ret0), verdict: 'reject', error: 'program of this type cannot use helper bpf_sk_release#86', processed: 8 },
  { name: 'sockmap socket leaked', progType: 'sched_cls', maps: [SOCKMAP], insns: p(...mapLookup(), JEq.imm(R0, 0, 'out'), LoadMem(R2, R0, 4, Size.W), Label('out'), ...ret0), verdict: 'reject', error: 'Unreleased reference id=2 alloc_insn=5', processed: 9 },
  { name: 'sockmap value read without null check', progType: 'sched_cls', maps: [SOCKMAP], insns: p(...mapLookup(), LoadMem(R2, R0, 4, Size.W), ...ret0), verdict: 'reject', error: "R0 invalid mem access 'sock_or_null'", processed: 6 },
  { name: 'sockmap socket written', progType: 'sched_cls', maps: [SOCKMAP], insns: p(...mapLookup(), JEq.imm(R0, 0, 'out'), StoreImm(R0, 0, 1, Size.W), ...release(), Label('out'), ...ret0), verdict: 'reject', error: 'R0 cannot write into sock', processed: 7 },
  { name: 'sockmap socket read past its end', progType: 'sched_cls', maps: [SOCKMAP], insns: p(...mapLookup(), JEq.imm(R0, 0, 'out'), LoadMem(R2, R0, 80, Size.W), ...release(), Label('out'), ...ret0), verdict: 'reject', error: 'R0 invalid sock access off=80 size=4', processed: 7 },
  { name: 'sockmap socket copy checked, original released', progType: 'sched_cls', maps: [SOCKMAP], insns: p(...mapLookup(), Mov.reg(R7, R0), JEq.imm(R7, 0, 'out'), ...release(), Label('out'), ...ret0), verdict: 'accept', error: null, processed: 12 },
  { name: 'xskmap lookup, null check, queue_id', progType: 'xdp', maps: [XSKMAP], insns: p(...mapLookup(), JEq.imm(R0, 0, 'out'), LoadMem(R2, R0, 0, Size.W), Label('out'), ...ret0), verdict: 'accept', error: null, processed: 10 },
  { name: 'xdp_sock read past queue_id', progType: 'xdp', maps: [XSKMAP], insns: p(...mapLookup(), JEq.imm(R0, 0, 'out'), LoadMem(R2, R0, 4, Size.W), Label('out'), ...ret0), verdict: 'reject', error: 'R0 invalid xdp_sock access off=4 size=4', processed: 7 },
  { name: 'xdp_sock narrow read', progType: 'xdp', maps: [XSKMAP], insns: p(...mapLookup(), JEq.imm(R0, 0, 'out'), LoadMem(R2, R0, 0, Size.H), Label('out'), ...ret0), verdict: 'reject', error: 'R0 invalid xdp_sock access off=0 size=2', processed: 7 },
  { name: 'xdp_sock released (not acquired)', progType: 'xdp', maps: [XSKMAP], insns: p(...mapLookup(), JEq.imm(R0, 0, 'out'), ...release(), Label('out'), ...ret0), verdict: 'reject', error: 'R1 must be referenced when passed to release function', processed: 8 },
  { name: 'pointer arithmetic on xdp_sock', progType: 'xdp', maps: [XSKMAP], insns: p(...mapLookup(), JEq.imm(R0, 0, 'out'), Add.imm(R0, 4), Label('out'), ...ret0), verdict: 'reject', error: 'R0 pointer arithmetic on xdp_sock prohibited', processed: 7 },
  // --- sk_skb programs (their __sk_buff rules: no mark, only tc_index and priority writable) ---
  { name: 'sk_skb: lookup, family, release', progType: 'sk_skb', insns: p(...withSocket([LoadMem(R2, R0, 4, Size.W)])), verdict: 'accept', error: null, processed: 17 },
  { name: 'sk_skb: socket leaked', progType: 'sk_skb', insns: p(Mov.reg(R6, R1), ...lookup(SK_LOOKUP_UDP), ...ret0), verdict: 'reject', error: 'Unreleased reference id=2 alloc_insn=9', processed: 12 },
  { name: 'sk_skb: skb->sk family', progType: 'sk_skb', insns: p(...withSkbSk([LoadMem(R2, R1, 4, Size.W)])), verdict: 'accept', error: null, processed: 7 },
  { name: 'sk_skb: fullsock is not offered', progType: 'sk_skb', insns: p(...withSkbSk([Call.helper(SK_FULLSOCK)])), verdict: 'reject', error: 'program of this type cannot use helper bpf_sk_fullsock#95', processed: 3 },
  { name: 'sk_skb: mark is not readable', progType: 'sk_skb', insns: p(LoadMem(R0, R1, 8, Size.W), ...ret0), verdict: 'reject', error: 'invalid bpf_context access off=8 size=4', processed: 1 },
  { name: 'sk_skb: tc_index and priority writable', progType: 'sk_skb', insns: p(StoreImm(R1, 44, 1, Size.W), StoreImm(R1, 32, 1, Size.W), ...ret0), verdict: 'accept', error: null, processed: 4 },
  { name: 'sk_skb: mark not writable', progType: 'sk_skb', insns: p(StoreImm(R1, 8, 1, Size.W), ...ret0), verdict: 'reject', error: 'invalid bpf_context access off=8 size=4', processed: 1 },
  { name: 'sk_skb: packet read after a bounds check', progType: 'sk_skb', insns: p(LoadMem(R2, R1, 76, Size.W), LoadMem(R3, R1, 80, Size.W), Mov.reg(R4, R2), Add.imm(R4, 14), JGT.reg(R4, R3, 'out'), LoadMem(R0, R2, 12, Size.H), Label('out'), ...ret0), verdict: 'accept', error: null, processed: 10 },
  { name: 'sk_skb: data_meta not readable', progType: 'sk_skb', insns: p(LoadMem(R2, R1, 140, Size.W), ...ret0), verdict: 'reject', error: 'invalid bpf_context access off=140 size=4', processed: 1 },
  // --- field reads ---
  { name: 'read sock family', progType: 'sched_cls', insns: p(...withSocket([LoadMem(R2, R0, 4, Size.W)])), verdict: 'accept', error: null, processed: 17 },
  { name: 'read sock state as a byte', progType: 'sched_cls', insns: p(...withSocket([LoadMem(R2, R0, 72, Size.B)])), verdict: 'accept', error: null, processed: 17 },
  { name: 'read sock dst_port half word and byte', progType: 'sched_cls', insns: p(...withSocket([LoadMem(R2, R0, 48, Size.H), LoadMem(R2, R0, 49, Size.B), LoadMem(R2, R0, 48, Size.W)])), verdict: 'accept', error: null, processed: 19 },
  { name: 'read sock src_ip6 narrow', progType: 'sched_cls', insns: p(...withSocket([LoadMem(R2, R0, 34, Size.H), LoadMem(R2, R0, 59, Size.B)])), verdict: 'accept', error: null, processed: 18 },
  { name: 'read sock rx_queue_mapping', progType: 'sched_cls', insns: p(...withSocket([LoadMem(R2, R0, 76, Size.W)])), verdict: 'accept', error: null, processed: 17 },
  { name: 'read sock past its end', progType: 'sched_cls', insns: p(...withSocket([LoadMem(R2, R0, 80, Size.W)])), verdict: 'reject', error: 'R0 invalid sock access off=80 size=4', processed: 12 },
  { name: 'read sock family as u64', progType: 'sched_cls', insns: p(...withSocket([LoadMem(R2, R0, 0, Size.DW)])), verdict: 'reject', error: 'R0 invalid sock access off=0 size=8', processed: 12 },
  { name: 'read inside sock state', progType: 'sched_cls', insns: p(...withSocket([LoadMem(R2, R0, 73, Size.B)])), verdict: 'reject', error: 'R0 invalid sock access off=73 size=1', processed: 12 },
  { name: 'read sock mark narrow', progType: 'sched_cls', insns: p(...withSocket([LoadMem(R2, R0, 16, Size.H)])), verdict: 'reject', error: 'R0 invalid sock access off=16 size=2', processed: 12 },
  { name: 'read sock dst_port padding', progType: 'sched_cls', insns: p(...withSocket([LoadMem(R2, R0, 50, Size.H)])), verdict: 'reject', error: 'R0 invalid sock access off=50 size=2', processed: 12 },
  { name: 'read sock unaligned', progType: 'sched_cls', insns: p(...withSocket([LoadMem(R2, R0, 26, Size.W)])), verdict: 'reject', error: 'R0 invalid sock access off=26 size=4', processed: 12 },
  { name: 'read sock without null check', progType: 'sched_cls', insns: p(Mov.reg(R6, R1), ...lookup(), LoadMem(R2, R0, 4, Size.W), ...ret0), verdict: 'reject', error: "R0 invalid mem access 'sock_or_null'", processed: 11 },
  { name: 'write into sock', progType: 'sched_cls', insns: p(...withSocket([StoreMem(R0, 16, R6, Size.W)])), verdict: 'reject', error: 'R0 cannot write into sock', processed: 12 },
  { name: 'store immediate into sock', progType: 'sched_cls', insns: p(...withSocket([StoreImm(R0, 16, 1, Size.W)])), verdict: 'reject', error: 'R0 cannot write into sock', processed: 12 },
  { name: 'atomic add into sock', progType: 'sched_cls', insns: p(...withSocket([Mov.imm(R2, 1), Atomic.add(R0, 16, R2, Size.W)])), verdict: 'reject', error: 'BPF_ATOMIC stores into R0 sock is not allowed', processed: 13 },
  { name: 'read sock_common family from skc_lookup_tcp', progType: 'sched_cls', insns: p(...withSocket([LoadMem(R2, R0, 4, Size.W), LoadMem(R2, R0, 0, Size.W)], SKC_LOOKUP_TCP)), verdict: 'accept', error: null, processed: 18 },
  { name: 'read sock_common type', progType: 'sched_cls', insns: p(...withSocket([LoadMem(R2, R0, 8, Size.W)], SKC_LOOKUP_TCP)), verdict: 'reject', error: 'R0 invalid sock_common access off=8 size=4', processed: 12 },
  { name: 'read sock_common priority', progType: 'sched_cls', insns: p(...withSocket([LoadMem(R2, R0, 20, Size.W)], SKC_LOOKUP_TCP)), verdict: 'reject', error: 'R0 invalid sock_common access off=20 size=4', processed: 12 },
  // --- pointer arithmetic ---
  { name: 'pointer arithmetic on sock', progType: 'sched_cls', insns: p(...withSocket([Add.imm(R0, 4)])), verdict: 'reject', error: 'R0 pointer arithmetic on sock prohibited', processed: 12 },
  { name: 'pointer arithmetic on sock_or_null', progType: 'sched_cls', insns: p(Mov.reg(R6, R1), ...lookup(), Add.imm(R0, 4), ...ret0), verdict: 'reject', error: 'R0 pointer arithmetic on sock_or_null prohibited, null-check it first', processed: 11 },
  { name: 'register arithmetic on sock_common', progType: 'sched_cls', insns: p(...withSkbSk([Mov.imm(R2, 8), Add.reg(R1, R2)])), verdict: 'reject', error: 'R1 pointer arithmetic on sock_common prohibited', processed: 4 },
  // --- __sk_buff->sk and the casts ---
  { name: 'skb->sk family in sched_cls', progType: 'sched_cls', insns: p(...withSkbSk([LoadMem(R2, R1, 4, Size.W)])), verdict: 'accept', error: null, processed: 7 },
  { name: 'skb->sk family in a socket filter', progType: 'socket_filter', insns: p(...withSkbSk([LoadMem(R2, R1, 4, Size.W)])), verdict: 'accept', error: null, processed: 7 },
  { name: 'skb->sk family in cgroup_skb', progType: 'cgroup_skb', expectedAttachType: 'cgroup_inet_egress', insns: p(LoadMem(R1, R1, SKB_SK, Size.DW), JEq.imm(R1, 0, 'out'), LoadMem(R2, R1, 4, Size.W), Label('out'), Mov.imm(R0, 1), Exit()), verdict: 'accept', error: null, processed: 7 },
  { name: 'skb->sk read without null check', progType: 'sched_cls', insns: p(LoadMem(R1, R1, SKB_SK, Size.DW), LoadMem(R2, R1, 4, Size.W), ...ret0), verdict: 'reject', error: "R1 invalid mem access 'sock_common_or_null'", processed: 2 },
  { name: 'skb->sk loaded as u32', progType: 'sched_cls', insns: p(LoadMem(R1, R1, SKB_SK, Size.W), ...ret0), verdict: 'reject', error: 'invalid bpf_context access off=168 size=4', processed: 1 },
  { name: 'skb->sk fullsock then type', progType: 'sched_cls', insns: p(...withSkbSk([Call.helper(SK_FULLSOCK), JEq.imm(R0, 0, 'out'), LoadMem(R2, R0, 8, Size.W)])), verdict: 'accept', error: null, processed: 10 },
  { name: 'fullsock result read without null check', progType: 'sched_cls', insns: p(...withSkbSk([Call.helper(SK_FULLSOCK), LoadMem(R2, R0, 8, Size.W)])), verdict: 'reject', error: "R0 invalid mem access 'sock_or_null'", processed: 4 },
  { name: 'fullsock of an unchecked skb->sk', progType: 'sched_cls', insns: p(LoadMem(R1, R1, SKB_SK, Size.DW), Call.helper(SK_FULLSOCK), ...ret0), verdict: 'reject', error: `R1 type=sock_common_or_null expected=${SOCK_COMMON_ARG}`, processed: 2 },
  { name: 'fullsock of a scalar', progType: 'sched_cls', insns: p(Mov.imm(R1, 0), Call.helper(SK_FULLSOCK), ...ret0), verdict: 'reject', error: `R1 type=scalar expected=${SOCK_COMMON_ARG}`, processed: 2 },
  { name: 'fullsock in xdp', progType: 'xdp', insns: p(Call.helper(SK_FULLSOCK), ...ret0), verdict: 'reject', error: 'program of this type cannot use helper bpf_sk_fullsock#95', processed: 1 },
  { name: 'skb->sk tcp_sock fields', progType: 'sched_cls', insns: p(...withSkbSk([Call.helper(TCP_SOCK), JEq.imm(R0, 0, 'out'), LoadMem(R2, R0, 0, Size.W), LoadMem(R2, R0, 80, Size.DW), LoadMem(R2, R0, 108, Size.W)])), verdict: 'accept', error: null, processed: 11 },
  { name: 'tcp_sock bytes_acked as u32', progType: 'sched_cls', insns: p(...withSkbSk([Call.helper(TCP_SOCK), JEq.imm(R0, 0, 'out'), LoadMem(R2, R0, 88, Size.W)])), verdict: 'reject', error: 'R0 invalid tcp_sock access off=88 size=4', processed: 5 },
  // The kernel accepts the walk, then fails to convert the access (no case for a field's high half).
  { name: 'tcp_sock bytes_acked high half as u32', progType: 'sched_cls', insns: p(...withSkbSk([Call.helper(TCP_SOCK), JEq.imm(R0, 0, 'out'), LoadMem(R2, R0, 92, Size.W)])), verdict: 'reject', error: 'verifier bug: error during ctx access conversion (0)', processed: 10 },
  { name: 'tcp_sock past its end', progType: 'sched_cls', insns: p(...withSkbSk([Call.helper(TCP_SOCK), JEq.imm(R0, 0, 'out'), LoadMem(R2, R0, 112, Size.W)])), verdict: 'reject', error: 'R0 invalid tcp_sock access off=112 size=4', processed: 5 },
  { name: 'tcp_sock narrow read', progType: 'sched_cls', insns: p(...withSkbSk([Call.helper(TCP_SOCK), JEq.imm(R0, 0, 'out'), LoadMem(R2, R0, 0, Size.B)])), verdict: 'reject', error: 'R0 invalid tcp_sock access off=0 size=1', processed: 5 },
  { name: 'write into tcp_sock', progType: 'sched_cls', insns: p(...withSkbSk([Call.helper(TCP_SOCK), JEq.imm(R0, 0, 'out'), StoreImm(R0, 0, 1, Size.W)])), verdict: 'reject', error: 'R0 cannot write into tcp_sock', processed: 5 },
  { name: 'tcp_sock compared with 0 after the null check is never NULL', progType: 'sched_cls', insns: p(...withSkbSk([Call.helper(TCP_SOCK), JEq.imm(R0, 0, 'out'), JNE.imm(R0, 0, 'out'), Mov.imm(R7, 1)])), verdict: 'accept', error: null, processed: 10 },
  { name: 'get_listener_sock then family', progType: 'sched_cls', insns: p(...withSkbSk([Call.helper(GET_LISTENER_SOCK), JEq.imm(R0, 0, 'out'), LoadMem(R2, R0, 4, Size.W)])), verdict: 'accept', error: null, processed: 10 },
  { name: 'tcp_sock of a fullsock', progType: 'cgroup_skb', expectedAttachType: 'cgroup_inet_ingress', insns: p(LoadMem(R1, R1, SKB_SK, Size.DW), JEq.imm(R1, 0, 'out'), Call.helper(SK_FULLSOCK), JEq.imm(R0, 0, 'out'), Mov.reg(R1, R0), Call.helper(TCP_SOCK), JEq.imm(R0, 0, 'out'), LoadMem(R2, R0, 4, Size.W), Label('out'), Mov.imm(R0, 1), Exit()), verdict: 'accept', error: null, processed: 13 },
  // --- a cast of a referenced socket keeps the reference ---
  { name: 'fullsock of a looked-up socket, release the original', progType: 'sched_cls', insns: p(...withSocket([Mov.reg(R7, R0), Mov.reg(R1, R0), Call.helper(SK_FULLSOCK), JEq.imm(R0, 0, 'rel'), LoadMem(R2, R0, 8, Size.W), Label('rel'), Mov.reg(R0, R7)], SKC_LOOKUP_TCP)), verdict: 'accept', error: null, processed: 27 },
  { name: 'fullsock of a looked-up socket, release the cast', progType: 'sched_cls', insns: p(Mov.reg(R6, R1), ...lookup(SKC_LOOKUP_TCP), JEq.imm(R0, 0, 'out'), Mov.reg(R7, R0), Mov.reg(R1, R0), Call.helper(SK_FULLSOCK), JEq.imm(R0, 0, 'rel7'), ...release(), Mov.imm(R0, 0), Exit(), Label('rel7'), ...release(R7), Label('out'), ...ret0), verdict: 'accept', error: null, processed: 25 },
  { name: 'fullsock result used after the original is released', progType: 'sched_cls', insns: p(Mov.reg(R6, R1), ...lookup(), JEq.imm(R0, 0, 'out'), Mov.reg(R7, R0), Mov.reg(R1, R0), Call.helper(SK_FULLSOCK), Mov.reg(R8, R0), JEq.imm(R8, 0, 'rel'), ...release(R7), LoadMem(R0, R8, 4, Size.W), ...ret0, Label('rel'), ...release(R7), Label('out'), ...ret0), verdict: 'reject', error: "R8 invalid mem access 'scalar'", processed: 19 },
];

test('the socket case table has unique names and both verdicts', () => {
  assert.is(new Set(socketCases.map((c) => c.name)).size, socketCases.length);
  const accepted = socketCases.filter((c) => c.verdict === 'accept').length;
  assert.ok(accepted >= 15 && socketCases.length - accepted >= 15, `${accepted} accepted of ${socketCases.length}`);
  for (const c of socketCases) assert.is(c.verdict === 'reject', c.error !== null, c.name);
});

for (const c of socketCases) {
  test(`socket case: ${c.name}`, () => {
    const r = verify(c.insns, { progType: c.progType, expectedAttachType: c.expectedAttachType, license: c.license, maps: c.maps });
    assert.is(r.verdict, c.verdict, 'verdict');
    assert.is(r.error, c.error, 'error line');
    if (c.processed !== undefined) assert.is(r.processed, c.processed, 'processed');
  });
}

test.run();
