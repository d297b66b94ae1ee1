// A C program with USDT probes for the facade and example tests (notes emitted by inline asm the
// way <sys/sdt.h> does; the note macro is shared with test/kernel/usdt.test.ts). For each number read from stdin it fires `tsbpf:req` (guarded by a
// semaphore; arguments -n as an s32 in a register, n * 1000 + 7 as an s64 in memory, and a
// pointer to the string "req-<n>"), `tsbpf:tick` at two sites (constant -3 as an s16) and
// `tsbpf:odd` at two sites whose one argument differs (constants 1 and 2); then it prints the
// semaphore's value.
/**
 * The C macro `TSBPF_NOTE(provider, name, sema, args)`: the assembler text of one
 * `.note.stapsdt` note (and the `.stapsdt.base` section) for a probe site labelled `990:`, as
 * <sys/sdt.h> emits it; used inside `__asm__` after a `990: nop`.
 */
export const TSBPF_NOTE_MACRO = `#define TSBPF_NOTE(provider, name, sema, args) \\
    ".pushsection .note.stapsdt,\\"?\\",\\"note\\"\\n.balign 4\\n.4byte 992f-991f, 994f-993f, 3\\n" \\
    "991: .asciz \\"stapsdt\\"\\n992: .balign 4\\n993: .8byte 990b\\n.8byte _.stapsdt.base\\n" \\
    ".8byte " sema "\\n.asciz \\"" provider "\\"\\n.asciz \\"" name "\\"\\n.asciz \\"" args "\\"\\n994: .balign 4\\n.popsection\\n" \\
    ".ifndef _.stapsdt.base\\n.pushsection .stapsdt.base,\\"aG\\",\\"progbits\\",.stapsdt.base,comdat\\n" \\
    ".weak _.stapsdt.base\\n.hidden _.stapsdt.base\\n_.stapsdt.base: .space 1\\n.size _.stapsdt.base, 1\\n.popsection\\n.endif\\n"
`;

/** The program's C source (build it with `buildC`). */
export const USDT_PROBES_C = `
#include <stdio.h>
#include <stdlib.h>
__attribute__((section(".probes"))) volatile unsigned short tsbpf_req_semaphore;
${TSBPF_NOTE_MACRO}int main(void) {
  char buf[32];
  char name[24];
  puts("ready");
  fflush(stdout);
  while (fgets(buf, sizeof buf, stdin)) {
    int n = atoi(buf);
    volatile long big = (long)n * 1000 + 7;
    snprintf(name, sizeof name, "req-%d", n);
    if (tsbpf_req_semaphore) __asm__ __volatile__("990: nop\\n" TSBPF_NOTE("tsbpf", "req", "tsbpf_req_semaphore", "-4@%0 8@%1 8@%2") :: "r"(-n), "m"(big), "r"(name) : "memory");
    __asm__ __volatile__("990: nop\\n" TSBPF_NOTE("tsbpf", "tick", "0", "-2@$-3") ::);
    __asm__ __volatile__("990: nop\\n" TSBPF_NOTE("tsbpf", "tick", "0", "-2@$-3") ::);
    __asm__ __volatile__("990: nop\\n" TSBPF_NOTE("tsbpf", "odd", "0", "4@$1") ::);
    __asm__ __volatile__("990: nop\\n" TSBPF_NOTE("tsbpf", "odd", "0", "4@$2") ::);
    printf("%u\\n", (unsigned)tsbpf_req_semaphore);
    fflush(stdout);
  }
  return 0;
}
`;
