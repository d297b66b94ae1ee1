#!/bin/sh
# Prints "NR name" lines of the syscall table of $1 (x86_64 | arm64) from the installed
# Linux UAPI headers (linux-libc-dev): asm/unistd_64.h for x86_64, asm-generic/unistd.h with
# arm64's __ARCH_WANT_* defines (arch/arm64/include/uapi/asm/unistd.h) for arm64.
set -e
case "$1" in
  x86_64) header='#include <x86_64-linux-gnu/asm/unistd_64.h>'; defs='' ;;
  arm64) header='#include <asm-generic/unistd.h>'; defs='-D__BITS_PER_LONG=64 -D__ARCH_WANT_RENAMEAT -D__ARCH_WANT_NEW_STAT -D__ARCH_WANT_SET_GET_RLIMIT -D__ARCH_WANT_TIME32_SYSCALLS -D__ARCH_WANT_MEMFD_SECRET' ;;
  *) echo "usage: $0 x86_64|arm64" >&2; exit 2 ;;
esac
names=$(echo "$header" | cpp -dM $defs - | sed -n 's/^#define __NR_\([a-z0-9_]*\) .*/\1/p' | grep -v '^syscalls$' | sort -u)
{ echo "$header"; for n in $names; do echo "NR_LINE __NR_$n $n"; done; } | cpp -P $defs - | sed -n 's/^NR_LINE \([0-9][0-9 +()]*\) \([a-z0-9_]*\)$/\1 \2/p' | while read -r nr name; do echo "$(( nr )) $name"; done | sort -n
