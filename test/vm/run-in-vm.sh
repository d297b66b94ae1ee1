#!/usr/bin/env bash
# test/vm/run-in-vm.sh — run ONE command as root inside a throw-away QEMU VM that boots a stock
# Debian kernel, for the kernel features the development machines lack (kprobes, fentry/fexit,
# LSM). See vm/README.md.
#
#   test/vm/run-in-vm.sh [options] [--] COMMAND [ARGS...]
#
#   --kernel 6.12|6.1   6.12: linux-image-amd64 of bookworm-backports (default);
#                       6.1: linux-image-amd64 of bookworm (+ bookworm-security)
#   --mem SIZE          guest memory (default 2G)
#   --smp N             guest CPUs (default 2; all on one host thread, see below)
#   --timeout SECONDS   kill the VM after this long (default 900); exit 124
#   --accel tcg|kvm     default tcg (single-threaded TCG); kvm only where /dev/kvm runs a stock kernel
#   --verbose           copy the guest console to stderr and print timings
#   --prepare           only install the host tools, fetch the kernel, build the initramfs
#   --refresh           look up the newest kernel package of the series again
#
# Inside the guest: the host's "/" is the root filesystem, shared read-only over 9p with a tmpfs
# overlay on top (everything is writable; writes vanish with the VM); the repository (the
# directory two levels above this script) is shared READ-WRITE at the same path; the guest
# kernel's own modules are at /lib/modules/$(uname -r) (modprobe works); tracefs, debugfs,
# bpffs, cgroup2 and securityfs are mounted. The command runs as root in the caller's current
# directory with the caller's exported environment plus TSBPF_IN_VM=1, stdin /dev/null.
# Its stdout and stderr come back on ours (streamed), and its exit code becomes ours.
#
# Exit 255 means the VM itself failed (no exit code came back); the guest console tail is printed.
# When the command fails (non-zero exit), the tail of the guest's kernel log is printed on stderr.
#
# Host needs (Debian 12): qemu-system-x86 busybox-static kmod cpio; installed with apt-get when
# missing (as root). Kernels, apt lists and initramfs images are cached in /var/cache/tsbpf-vm
# (TSBPF_VM_CACHE overrides).
set -euo pipefail

die() { echo "run-in-vm: $*" >&2; exit 255; }
say() { [[ -z "$VERBOSE" ]] || echo "run-in-vm: $*" >&2; }

SERIES=6.12 MEM=2G SMP=2 TIMEOUT=900 ACCEL=tcg VERBOSE= PREPARE= REFRESH=
CACHE=${TSBPF_VM_CACHE:-/var/cache/tsbpf-vm}
while (( $# )); do
  case "$1" in
    --kernel) SERIES=${2:?}; shift 2 ;;
    --mem) MEM=${2:?}; shift 2 ;;
    --smp) SMP=${2:?}; shift 2 ;;
    --timeout) TIMEOUT=${2:?}; shift 2 ;;
    --accel) ACCEL=${2:?}; shift 2 ;;
    --verbose|-v) VERBOSE=1; shift ;;
    --prepare) PREPARE=1; shift ;;
    --refresh) REFRESH=1; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d;s/^# \{0,1\}//'; exit 0 ;;
    --) shift; break ;;
    -*) die "unknown option $1 (put -- before the command)" ;;
    *) break ;;
  esac
done
case "$SERIES" in 6.12|6.1) ;; *) die "--kernel must be 6.12 or 6.1 (got $SERIES)" ;; esac
case "$ACCEL" in tcg|kvm) ;; *) die "--accel must be tcg or kvm" ;; esac
[[ "$TIMEOUT" =~ ^[0-9]+$ ]] || die "--timeout takes seconds"
[[ -n "$PREPARE" || $# -gt 0 ]] || die "no command given (see --help)"
(( EUID == 0 )) || die "must run as root (it installs packages, and the guest runs as root)"

SELF=$(readlink -f "$0")
REPO=$(cd "$(dirname "$SELF")/../.." && pwd -P)
T0=$(date +%s%N)
ms() { echo $(( ($(date +%s%N) - T0) / 1000000 )); }

mkdir -p "$CACHE"
exec 8>"$CACHE/.lock"
flock 8 # one preparer at a time (parallel runs share the cache); released before the VM boots

# ------------------------------------------------------------------------------- host tools
missing=()
command -v qemu-system-x86_64 >/dev/null || missing+=(qemu-system-x86)
[[ -x /bin/busybox ]] && ! ldd /bin/busybox >/dev/null 2>&1 || missing+=(busybox-static)
command -v depmod >/dev/null || missing+=(kmod)
command -v cpio >/dev/null || missing+=(cpio)
command -v xz >/dev/null || missing+=(xz-utils)
command -v zstd >/dev/null || missing+=(zstd)
if (( ${#missing[@]} )); then
  echo "run-in-vm: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  { apt-get update -q && apt-get install -y -q --no-install-recommends "${missing[@]}"; } >&2 \
    || die "apt-get install ${missing[*]} failed"
  say "host tools installed at $(ms) ms"
fi

# ------------------------------------------------------------------------------- the kernel
# A private apt configuration (sources, lists, archives under $CACHE/apt) with bookworm,
# bookworm-updates, bookworm-security and bookworm-backports; /etc/apt and the host's lists
# are left alone.
APTDIR=$CACHE/apt
papt() {
  "$@" -o Dir::Etc::SourceList="$APTDIR/sources.list" -o Dir::Etc::SourceParts=/dev/null \
    -o Dir::State::Lists="$APTDIR/lists" -o Dir::Cache="$APTDIR/cache" \
    -o APT::Architectures=amd64 -o Acquire::Languages=none -o APT::Sandbox::User=root \
    -o Debug::NoLocking=1
}
apt_update() {
  mkdir -p "$APTDIR/lists/partial" "$APTDIR/cache/archives/partial"
  local k=/usr/share/keyrings/debian-archive-keyring.gpg m=http://deb.debian.org
  cat >"$APTDIR/sources.list" <<EOF
deb [signed-by=$k] $m/debian bookworm main
deb [signed-by=$k] $m/debian bookworm-updates main
deb [signed-by=$k] $m/debian-security bookworm-security main
deb [signed-by=$k] $m/debian bookworm-backports main
EOF
  papt apt-get update -q >&2 || die "apt-get update (private lists in $APTDIR) failed"
}
# Prints "PACKAGE VERSION": the newest linux-image-amd64 whose image package is of $SERIES.
resolve_pkg() {
  papt apt-cache show linux-image-amd64 2>/dev/null | awk -v s="$SERIES" '
    /^Version:/ { v = $2 }
    /^Depends:/ { d = $2; sub(/,.*/, "", d); sub(/ .*/, "", d)
                  if (index(d, "linux-image-" s ".") == 1 || index(d, "linux-image-" s "-") == 1) print v, d }' |
    sort -V | tail -n 1 | awk '{ print $2, $1 }'
}
KLINK=$CACHE/kernel-$SERIES # -> kernels/<package>_<version>, a complete unpacked package
if [[ -n "$REFRESH" || ! -f $KLINK/.complete ]]; then
  [[ -n "$REFRESH" || ! -d $APTDIR/lists ]] && apt_update
  read -r pkg _ < <(resolve_pkg) || true
  [[ -n "${pkg:-}" ]] || { apt_update; read -r pkg _ < <(resolve_pkg) || true; }
  [[ -n "${pkg:-}" ]] || die "no linux-image-amd64 of series $SERIES in bookworm(-backports)"
  ver=$(papt apt-cache show "$pkg" | awk '/^Version:/ { print $2 }' | sort -V | tail -n 1)
  kdir=$CACHE/kernels/${pkg}_$ver
  if [[ ! -f $kdir/.complete ]]; then
    echo "run-in-vm: downloading $pkg $ver" >&2
    tmp=$(mktemp -d "$CACHE/dl.XXXXXX")
    if ! (cd "$tmp" && papt apt-get download -q "$pkg=$ver" >&2); then
      apt_update # the lists were stale (the mirror dropped that version): once more
      ver=$(papt apt-cache show "$pkg" | awk '/^Version:/ { print $2 }' | sort -V | tail -n 1)
      kdir=$CACHE/kernels/${pkg}_$ver
      (cd "$tmp" && papt apt-get download -q "$pkg=$ver" >&2) || { rm -rf "$tmp"; die "apt-get download $pkg=$ver failed"; }
    fi
    rm -rf "$kdir"; mkdir -p "$kdir"
    dpkg-deb -x "$tmp"/*.deb "$kdir" || { rm -rf "$tmp" "$kdir"; die "cannot unpack $pkg"; }
    rm -rf "$tmp"
    touch "$kdir/.complete"
    say "kernel package unpacked at $(ms) ms"
  fi
  ln -sfn "$kdir" "$KLINK"
fi
KDIR=$(readlink -f "$KLINK")
KIMG=$(ls "$KDIR"/boot/vmlinuz-* | head -n 1)
MODDIR=$(ls -d "$KDIR"/lib/modules/* | head -n 1)
KVER=${MODDIR##*/}
[[ -f $KIMG && -d $MODDIR ]] || die "incomplete kernel package in $KDIR (try --refresh)"

# ------------------------------------------------------------------------------- initramfs
# busybox, the modules needed to reach the root (virtio, 9p, overlay) and a stage-1 /init that
# mounts the shares and switch_roots into the host's filesystem. Rebuilt when this script changes.
INITRD=$CACHE/initramfs/$KVER.cpio
build_initramfs() {
  local root; root=$(mktemp -d "$CACHE/initramfs.XXXXXX")
  mkdir -p "$root"/{bin,dev,proc,sys,mnt,newroot,lib/modules}
  [[ -s $MODDIR/modules.dep ]] || depmod -b "$KDIR" "$KVER" || die "depmod failed for $KVER"
  local -A seen=()
  local order=()
  add_module() { # dependencies first
    local name=$1 line dep
    [[ -z "${seen[$name]:-}" ]] || return 0
    seen[$name]=1
    grep -Eq "/$name\.ko\$" "$MODDIR/modules.builtin" && return 0
    line=$(grep -E "(^|/)$name\.ko(\.xz|\.zst|\.gz)?:" "$MODDIR/modules.dep" | head -n 1) || true
    [[ -n "$line" ]] || { echo "run-in-vm: note: no module $name in $KVER" >&2; return 0; }
    for dep in ${line#*:}; do dep=${dep##*/}; add_module "${dep%%.ko*}"; done
    order+=("${line%%:*}")
  }
  local m base
  for m in virtio_pci virtio_console 9pnet_virtio 9p overlay; do add_module "$m"; done
  : >"$root/modules.list"
  for m in "${order[@]}"; do
    base=${m##*/}; base=${base%%.ko*}.ko
    case "$m" in
      *.xz) xz -dc "$MODDIR/$m" ;;
      *.zst) zstd -qdc "$MODDIR/$m" ;;
      *.gz) gzip -dc "$MODDIR/$m" ;;
      *) cat "$MODDIR/$m" ;;
    esac >"$root/lib/modules/$base"
    echo "$base" >>"$root/modules.list"
  done
  cp /bin/busybox "$root/bin/busybox"
  cat >"$root/init" <<'EOF'
#!/bin/busybox sh
# stage 1 (initramfs): modules, root = host "/" over 9p (read-only) + tmpfs overlay, switch_root
export PATH=/bin
/bin/busybox --install -s /bin
mount -t proc proc /proc; mount -t sysfs sysfs /sys; mount -t devtmpfs devtmpfs /dev
fail() { echo "tsbpf-vm init: $*"; echo o >/proc/sysrq-trigger; sleep 30; }
for m in $(cat /modules.list); do insmod /lib/modules/$m || echo "tsbpf-vm init: insmod $m failed"; done
o=trans=virtio,version=9p2000.L,msize=512000
mkdir -p /mnt/lower /mnt/rw
mount -t 9p -o ro,cache=loose,$o hostroot /mnt/lower || fail "cannot mount the host root"
mount -t tmpfs -o mode=0755 tmpfs /mnt/rw && mkdir -p /mnt/rw/upper /mnt/rw/work
mount -t overlay -o lowerdir=/mnt/lower,upperdir=/mnt/rw/upper,workdir=/mnt/rw/work overlay /newroot \
  || fail "cannot mount the overlay root"
mkdir -p /newroot/.tsbpf-vm
mount -t 9p -o cache=none,$o tsbpfctl /newroot/.tsbpf-vm || fail "cannot mount the control directory"
while read -r tag path; do # read-write shares
  [ -n "$tag" ] || continue
  mkdir -p "/newroot$path"
  mount -t 9p -o cache=loose,$o "$tag" "/newroot$path" || fail "cannot mount $path"
done </newroot/.tsbpf-vm/shares
read -r moddir </newroot/.tsbpf-vm/moddir
kver=$(uname -r)
mkdir -p /newroot/usr/lib/modules/$kver
mount --bind "/mnt/lower$moddir" /newroot/usr/lib/modules/$kver
for d in proc sys dev; do mount --move /$d /newroot/$d; done
exec switch_root /newroot /bin/bash /.tsbpf-vm/stage2.sh
EOF
  chmod +x "$root/init"
  mkdir -p "${INITRD%/*}"
  (cd "$root" && find . | cpio -o -H newc --quiet) >"$INITRD.tmp"
  mv "$INITRD.tmp" "$INITRD"
  rm -rf "$root"
}
if [[ ! -s $INITRD || $INITRD -ot $SELF ]]; then
  build_initramfs
  say "initramfs for $KVER built at $(ms) ms"
fi
exec 8>&-
if [[ -n "$PREPARE" ]]; then echo "kernel $KVER: $KIMG, initramfs $INITRD"; exit 0; fi

# ------------------------------------------------------------------------------- this run
CTL=$(mktemp -d /tmp/tsbpf-vm.XXXXXX)
QPID= TAILS=()
cleanup() {
  [[ -z "$QPID" ]] || kill "$QPID" 2>/dev/null || true
  local p; for p in "${TAILS[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$CTL"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "tsbpfrw0 $REPO" >"$CTL/shares"
echo "$MODDIR" >"$CTL/moddir"
CWD=$(pwd -P)
{ # the command, its environment and working directory, as shell source
  export -p | grep -Ev '^declare -[a-zA-Z-]+ (BASH[A-Z_]*|SHELLOPTS|SHLVL|PWD|OLDPWD|_|TERM|HOSTNAME|SSH_[A-Z_]*|TMPDIR|INVOCATION_ID|JOURNAL_STREAM|NOTIFY_SOCKET|LISTEN_[A-Z]*|XDG_RUNTIME_DIR|DBUS_SESSION_BUS_ADDRESS)=' || true
  echo 'export TSBPF_IN_VM=1'
  printf 'cd %q || exit 127\n' "$CWD"
  printf 'exec'; printf ' %q' "$@"; printf '\n'
} >"$CTL/cmd"
cat >"$CTL/stage2.sh" <<'EOF'
#!/bin/bash
# stage 2: PID 1 in the host's userland; mounts, the command, its exit code, power off
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
up() { local u; read -r u _ </proc/uptime; echo "tsbpf-vm: $1 at ${u}s" >/dev/console; }
up "stage 2"
mount -t tracefs tracefs /sys/kernel/tracing; mount -t debugfs debugfs /sys/kernel/debug
mount -t bpf bpf /sys/fs/bpf; mount -t cgroup2 cgroup2 /sys/fs/cgroup
mount -t securityfs securityfs /sys/kernel/security
mkdir -p /dev/pts /dev/shm /dev/mqueue
mount -t devpts -o ptmxmode=0666 devpts /dev/pts; mount -t tmpfs tmpfs /dev/shm
mount -t tmpfs -o mode=0755 tmpfs /run
ln -sf /proc/self/fd /dev/fd; ln -sf fd/0 /dev/stdin; ln -sf fd/1 /dev/stdout; ln -sf fd/2 /dev/stderr
hostname tsbpf-vm; ip link set lo up 2>/dev/null
out=/dev/console err=/dev/console
for p in /sys/class/virtio-ports/*; do
  read -r name <"$p/name" || continue
  case "$name" in
    tsbpf.stdout) out=/dev/${p##*/} ;;
    tsbpf.stderr) err=/dev/${p##*/} ;;
  esac
done
up "command starts"
read -r started _ </proc/uptime
(. /.tsbpf-vm/cmd) </dev/null >"$out" 2>"$err"
rc=$?
up "command ended with $rc"
# on failure: the kernel's messages printed while the command ran (boot messages are not news)
(( rc == 0 )) || dmesg 2>&1 | awk -v s="$started" '{ t = $0; sub(/^\[ */, "", t); sub(/\].*/, "", t); if (t + 0 >= s + 0) print }' >/.tsbpf-vm/dmesg
echo "$rc" >/.tsbpf-vm/rc
sync
echo o >/proc/sysrq-trigger
sleep 30
EOF

case "$ACCEL" in
  # thread=single: with multi-threaded TCG, cross-CPU code patching (static keys, kprobes,
  # fentry trampolines) occasionally oopses the guest
  tcg) accel=(-accel tcg,thread=single,tb-size=512 -cpu max) ;;
  kvm) accel=(-accel kvm -cpu host) ;;
esac
: >"$CTL/stdout"; : >"$CTL/stderr"; : >"$CTL/console.log"
qemu=(qemu-system-x86_64 -M pc "${accel[@]}" -m "$MEM" -smp "$SMP"
  -nodefaults -no-user-config -display none -no-reboot
  -kernel "$KIMG" -initrd "$INITRD"
  -append "console=ttyS0 rdinit=/init panic=-1 quiet loglevel=4 mitigations=off"
  -serial "file:$CTL/console.log"
  -virtfs "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap"
  -virtfs "local,path=$CTL,mount_tag=tsbpfctl,security_model=none,multidevs=remap"
  -virtfs "local,path=$REPO,mount_tag=tsbpfrw0,security_model=none,multidevs=remap"
  -device virtio-serial-pci,id=vser
  -chardev "file,id=out,path=$CTL/stdout" -device virtserialport,bus=vser.0,chardev=out,name=tsbpf.stdout
  -chardev "file,id=err,path=$CTL/stderr" -device virtserialport,bus=vser.0,chardev=err,name=tsbpf.stderr)
say "booting $KVER ($ACCEL, smp $SMP, mem $MEM) at $(ms) ms"
timeout -k 5 "$TIMEOUT" "${qemu[@]}" >"$CTL/qemu.log" 2>&1 </dev/null &
QPID=$!
tail -n +1 -s 0.2 -f --pid="$QPID" "$CTL/stdout" & TAILS+=($!)
tail -n +1 -s 0.2 -f --pid="$QPID" "$CTL/stderr" >&2 & TAILS+=($!)
[[ -z "$VERBOSE" ]] || { tail -n +1 -s 0.2 -f --pid="$QPID" "$CTL/console.log" >&2 & TAILS+=($!); }
qrc=0; wait "$QPID" || qrc=$?
QPID=
for p in "${TAILS[@]}"; do wait "$p" 2>/dev/null || true; done
TAILS=()
say "VM stopped at $(ms) ms (qemu exit $qrc)"
if [[ -s $CTL/rc ]]; then
  rc=$(<"$CTL/rc")
  if (( rc != 0 )); then
    if [[ -s $CTL/dmesg ]]; then
      { echo "run-in-vm: the command exited with $rc; guest kernel log ($KVER) while it ran, last 40 of $(wc -l <"$CTL/dmesg") lines:"
        tail -n 40 "$CTL/dmesg"; } >&2
    else
      echo "run-in-vm: the command exited with $rc; the guest kernel ($KVER) logged nothing while it ran" >&2
    fi
  fi
  exit "$rc"
fi
{
  if (( qrc == 124 )); then echo "run-in-vm: timed out after ${TIMEOUT}s"
  else echo "run-in-vm: the VM stopped without an exit code (qemu exit $qrc)"; fi
  [[ ! -s $CTL/qemu.log ]] || { echo "run-in-vm: qemu said:"; cat "$CTL/qemu.log"; }
  echo "run-in-vm: guest console ($KVER), last 60 lines:"
  tail -n 60 "$CTL/console.log"
} >&2
(( qrc == 124 )) && exit 124
exit 255
