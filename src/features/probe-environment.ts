/**
 * {@link ProbeEnvironment}: what the feature probes read besides `bpf()` — the process's
 * capabilities, the PMU type files, the kernel's BTF and release — behind one replaceable
 * object, so unit tests can describe a kernel with {@link installProbeEnvironment}.
 * @module
 */

import { existsSync, readFileSync } from 'node:fs';
import { release } from 'node:os';
import { findBtfTypeId } from '../attach/vmlinux-btf-id.js';

/** The facts the probes read from the system (not through `bpf()`). */
export interface ProbeEnvironment {
  /**
   * Whether the process holds the privileges every probe needs (root, or CAP_SYS_ADMIN, or
   * CAP_BPF with CAP_PERFMON and CAP_NET_ADMIN). Without them an EPERM means "not allowed to
   * ask", not "the kernel refuses".
   */
  privileged(): boolean;
  /** Whether PMU `name` exists (`/sys/bus/event_source/devices/<name>/type`). */
  pmuExists(name: string): boolean;
  /**
   * The id of type `name` of BTF kind `kind` in the kernel's BTF (`/sys/kernel/btf/vmlinux`),
   * undefined when no such type, null when the kernel has no BTF.
   */
  vmlinuxBtfId(name: string, kind: number): number | undefined | null;
  /** `LINUX_VERSION_CODE` of the running kernel (for `kern_version`, needed before 5.0). */
  kernelVersionCode(): number;
  /** The kernel release string (`6.18.2`). */
  kernelRelease(): string;
}

/** Capability numbers (`include/uapi/linux/capability.h`). */
const CAP_NET_ADMIN = 12;
const CAP_SYS_ADMIN = 21;
const CAP_PERFMON = 38;
const CAP_BPF = 39;

/** Whether effective capability set `capEff` (hex, as in /proc/self/status) has what the probes need. */
export function capabilitiesSuffice(capEff: bigint): boolean {
  const has = (cap: number) => ((capEff >> BigInt(cap)) & 1n) === 1n;
  return has(CAP_SYS_ADMIN) || (has(CAP_BPF) && has(CAP_PERFMON) && has(CAP_NET_ADMIN));
}

/** `LINUX_VERSION_CODE` of a release string (`6.18.2-foo` → 0x061202; sublevel capped at 255). */
export function versionCode(releaseString: string): number {
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(releaseString);
  if (m === null) return 0;
  return (Number(m[1]) << 16) + (Number(m[2]) << 8) + Math.min(Number(m[3] ?? 0), 255);
}

/** The real environment: /proc, /sys and `uname`. Every answer is computed once. */
export function systemProbeEnvironment(): ProbeEnvironment {
  let privileged: boolean | undefined;
  let btf: Uint8Array | null | undefined;
  const btfIds = new Map<string, number | undefined>();
  return {
    privileged() {
      if (privileged === undefined) {
        try {
          const m = /^CapEff:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'));
          privileged = m !== null ? capabilitiesSuffice(BigInt(`0x${m[1]}`)) : process.getuid?.() === 0;
        } catch {
          privileged = process.getuid?.() === 0;
        }
      }
      return privileged;
    },
    pmuExists(name) {
      return existsSync(`/sys/bus/event_source/devices/${name}/type`);
    },
    vmlinuxBtfId(name, kind) {
      if (btf === undefined) {
        try {
          btf = readFileSync('/sys/kernel/btf/vmlinux');
        } catch {
          btf = null;
        }
      }
      if (btf === null) return null;
      const key = `${kind}:${name}`;
      if (!btfIds.has(key)) btfIds.set(key, findBtfTypeId(btf, name, kind, '/sys/kernel/btf/vmlinux'));
      return btfIds.get(key);
    },
    kernelVersionCode() {
      return versionCode(release());
    },
    kernelRelease() {
      return release();
    },
  };
}

let installed: ProbeEnvironment | undefined;
let system: ProbeEnvironment | undefined;
const listeners: (() => void)[] = [];

/** The environment in effect: the installed one, else the real system (created on first use). */
export function probeEnvironment(): ProbeEnvironment {
  if (installed !== undefined) return installed;
  system ??= systemProbeEnvironment();
  return system;
}

/**
 * Makes the probes read `env` instead of the system until the returned function is called
 * (for unit tests, with `installBackend` from `syscalls/`). Installing or restoring clears the
 * probe cache.
 */
export function installProbeEnvironment(env: ProbeEnvironment): () => void {
  const previous = installed;
  installed = env;
  for (const l of listeners) l();
  return () => {
    installed = previous;
    for (const l of listeners) l();
  };
}

/** Calls `listener` whenever the environment changes (the probe cache uses it to clear itself). */
export function onProbeEnvironmentChange(listener: () => void): void {
  listeners.push(listener);
}
