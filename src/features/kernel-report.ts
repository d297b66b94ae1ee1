/**
 * {@link probeKernel}: every probe at once — program types, map types, helpers per program type
 * and attach kinds — as one report (what `tsbpf probe` prints).
 * @module
 */

import { helpers, MapTypes, mapTypeName, ProgramTypes, programTypeName, type MapTypeName, type ProgramTypeName } from 'ebpf-bytecode-utils';
import { AttachKinds, type AttachKind } from './attach-kind.js';
import { probeFeature } from './feature-cache.js';
import type { Feature } from './feature.js';
import { HELPERS_NOT_PROBED } from './helpers.js';
import { attachKindMinimumKernel, mapTypeMinimumKernel, programTypeMinimumKernel, type KernelRequirement } from './minimum-kernel.js';
import { probeEnvironment } from './probe-environment.js';
import { NEEDS_PRIVILEGES } from './program-types.js';
import { unknown, type FeatureStatus, type ProbeResult } from './probe-result.js';

/** One line of the report. */
export interface ReportEntry {
  /** The verdict. */
  readonly status: FeatureStatus;
  /** Why unsupported or unknown (null when supported). */
  readonly reason: string | null;
  /** The first Linux version with the feature (`'5.8'`), null when not recorded. */
  readonly minimumKernel: string | null;
  /** A kernel option it needs besides, or null. */
  readonly config: string | null;
}

/** The helpers of one program type. */
export interface HelperReport {
  /** Whether its helpers were probed (false: the type is not supported, or see {@link HELPERS_NOT_PROBED}). */
  readonly probed: boolean;
  /** Why not probed, or null. */
  readonly reason: string | null;
  /** The helpers programs of the type may call, by kernel name (`bpf_map_lookup_elem`), in id order. */
  readonly supported: readonly string[];
  /** Helpers whose probe could not decide (no privileges), by name. */
  readonly unknown: readonly string[];
}

/** Everything {@link probeKernel} found. */
export interface KernelReport {
  /** The kernel release (`uname -r`). */
  readonly kernel: string;
  /** Whether the process had the privileges every probe needs. */
  readonly privileged: boolean;
  /** Program types by name. */
  readonly programTypes: Readonly<Partial<Record<ProgramTypeName, ReportEntry>>>;
  /** Map types by name (current names; deprecated aliases are left out). */
  readonly mapTypes: Readonly<Partial<Record<MapTypeName, ReportEntry>>>;
  /** Helpers per program type. */
  readonly helpers: Readonly<Partial<Record<ProgramTypeName, HelperReport>>>;
  /** Attach kinds by name. */
  readonly attachKinds: Readonly<Record<AttachKind, ReportEntry>>;
  /** Features whose probe needed privileges the process lacks (`xdp program type`, …). */
  readonly needPrivileges: readonly string[];
  /** Whether at least one probe decided (supported or unsupported). */
  readonly anyProbeRan: boolean;
  /** Wall-clock time of the whole probe, milliseconds. */
  readonly elapsedMs: number;
}

/** Probes `f`, turning a thrown error (no bpf() on this system, …) into an `unknown` answer. */
function safely(f: Feature, feature: string): ProbeResult {
  try {
    return probeFeature(f);
  } catch (e) {
    return unknown(feature, e instanceof Error ? e.message : String(e));
  }
}

function entry(r: ProbeResult, req: KernelRequirement | undefined): ReportEntry {
  return { status: r.status, reason: r.reason, minimumKernel: req?.version ?? null, config: req?.config ?? null };
}

/** Every value of a constant table once, in order, named by its current name. */
function names<N extends string>(table: Readonly<Record<string, number>>, nameOf: (n: number) => N): N[] {
  const out: N[] = [];
  for (const n of [...new Set(Object.values(table))].sort((a, b) => a - b)) if (n !== 0) out.push(nameOf(n));
  return out;
}

/**
 * Runs every probe (each cached per process) and returns the report. On the development machines
 * (32 program types × 211 helpers, about 6,300 loads) this costs about 0.8 s of CPU and 1–3 s of
 * wall time depending on the machine's load: the helper probes dominate, one failing load each
 * (see `helperCallProgram`).
 */
export function probeKernel(): KernelReport {
  const start = performance.now();
  const env = probeEnvironment();
  const needPrivileges: string[] = [];
  let anyProbeRan = false;
  const note = (r: ProbeResult) => {
    if (r.status === 'unknown') {
      if (r.reason === NEEDS_PRIVILEGES) needPrivileges.push(r.feature);
    } else {
      anyProbeRan = true;
    }
    return r;
  };

  const programTypes: Partial<Record<ProgramTypeName, ReportEntry>> = {};
  const progResults = new Map<ProgramTypeName, ProbeResult>();
  for (const name of names(ProgramTypes, programTypeName)) {
    const r = note(safely({ programType: name }, `${name} program type`));
    progResults.set(name, r);
    programTypes[name] = entry(r, programTypeMinimumKernel[name]);
  }

  const mapTypes: Partial<Record<MapTypeName, ReportEntry>> = {};
  for (const name of names(MapTypes, mapTypeName)) mapTypes[name] = entry(note(safely({ mapType: name }, `${name} map type`)), mapTypeMinimumKernel[name]);

  const helperReports: Partial<Record<ProgramTypeName, HelperReport>> = {};
  for (const [name, r] of progResults) {
    const notProbed = HELPERS_NOT_PROBED[name] ?? (r.status === 'supported' ? undefined : `the program type is ${r.status === 'unknown' ? 'not probed' : 'not supported'}`);
    if (notProbed !== undefined) {
      helperReports[name] = { probed: false, reason: notProbed, supported: [], unknown: [] };
      continue;
    }
    const yes: string[] = [];
    const maybe: string[] = [];
    for (const h of helpers) {
      if (h.id === 0) continue;
      const hr = safely({ programType: name, helper: h.id }, `${h.name} helper for ${name} programs`);
      if (hr.status === 'supported') yes.push(h.name);
      else if (hr.status === 'unknown') maybe.push(h.name);
    }
    if (maybe.length > 0) needPrivileges.push(`helpers for ${name} programs`);
    helperReports[name] = { probed: true, reason: null, supported: yes, unknown: maybe };
  }

  const attachKinds = {} as Record<AttachKind, ReportEntry>;
  for (const kind of AttachKinds) attachKinds[kind] = entry(note(safely({ attach: kind }, `${kind} attach`)), attachKindMinimumKernel[kind]);

  let kernel = '';
  let privileged = false;
  try {
    kernel = env.kernelRelease();
    privileged = env.privileged();
  } catch {
    // Reported as unknown values.
  }
  return { kernel, privileged, programTypes, mapTypes, helpers: helperReports, attachKinds, needPrivileges, anyProbeRan, elapsedMs: Math.round(performance.now() - start) };
}
