/**
 * `tsbpf probe [--json]`: what the running kernel supports — program types, map types, helpers
 * per program type (as bpftool prints them) and attach kinds — like `bpftool feature probe`.
 * @module
 */

import { EXIT_OK, EXIT_USAGE, parseOptionsOrHelp, type CliIo, type Command } from '../command.js';
import { probeKernel, type KernelReport, type ReportEntry } from '../../features/index.js';

const help = `Usage: tsbpf probe [--json]

Probes what the running kernel supports, like 'bpftool feature probe': program
types, map types, the helpers each program type may call, and the attach kinds
tsbpf uses (tracepoint, raw_tp, tp_btf, kprobe, uprobe, kprobe_multi, fentry,
fexit, lsm, xdp_link, tcx, cgroup_link, perf_event). Every probe object is
closed before the command ends.

Options:
  --json       one JSON object: {"kernel", "privileged", "programTypes",
               "mapTypes", "helpers", "attachKinds", "needPrivileges",
               "elapsedMs"}; each type or kind maps to {"status":
               "supported"|"unsupported"|"unknown", "reason", "minimumKernel",
               "config"}, each program type's helpers to {"probed", "reason",
               "supported": [names], "unknown": [names]}
  -h, --help   show this help

Most probes need root (or CAP_BPF, CAP_PERFMON and CAP_NET_ADMIN); without
them the command prints what it could find out and lists the probes that
needed privileges. Exit status: 0 when any probe ran, 2 when none could (one
line on stderr).
`;

function line(name: string, width: number, e: ReportEntry): string {
  const status = e.status === 'supported' ? 'supported' : e.status === 'unsupported' ? 'NOT supported' : 'unknown';
  const needs = e.status === 'unsupported' && e.minimumKernel !== null ? ` (requires Linux ${e.minimumKernel}${e.config === null ? '' : ` with ${e.config}`})` : '';
  return `  ${name.padEnd(width)}  ${status}${needs}${e.reason === null ? '' : `: ${e.reason}`}\n`;
}

function section(title: string, entries: Readonly<Record<string, ReportEntry | undefined>>): string {
  const names = Object.keys(entries);
  const width = Math.max(...names.map((n) => n.length));
  let out = `${title}\n`;
  for (const n of names) out += line(n, width, entries[n]!);
  return `${out}\n`;
}

/** The human-readable report. */
export function formatReport(r: KernelReport): string {
  let out = `Kernel ${r.kernel || '(unknown release)'}, probed ${r.privileged ? 'with full privileges' : 'without privileges'} in ${r.elapsedMs} ms\n\n`;
  out += section('Program types', r.programTypes);
  out += section('Map types', r.mapTypes);
  out += 'Helpers\n';
  for (const [type, h] of Object.entries(r.helpers)) {
    if (h === undefined) continue;
    if (!h.probed) {
      out += `eBPF helpers for program type ${type}: not probed (${h.reason ?? 'no reason'})\n\n`;
      continue;
    }
    out += `eBPF helpers supported for program type ${type}:\n`;
    for (const name of h.supported) out += `\t- ${name}\n`;
    if (h.unknown.length > 0) out += `\t(${h.unknown.length} helpers not decided: needs privileges)\n`;
    out += '\n';
  }
  out += section('Attach kinds', r.attachKinds);
  if (r.needPrivileges.length > 0) {
    out += 'These probes needed privileges this process lacks (run as root, or with CAP_BPF, CAP_PERFMON and CAP_NET_ADMIN):\n';
    const groups = new Map<string, string[]>();
    for (const f of r.needPrivileges) {
      const m = /^(.*) (program type|map type|attach)$/.exec(f);
      const [group, name] = m === null ? ['other', f] : [m[2] === 'attach' ? 'attach kinds' : `${m[2]}s`, m[1]];
      groups.set(group, [...(groups.get(group) ?? []), name]);
    }
    for (const [group, list] of groups) out += `  ${group} (${list.length}): ${list.join(', ')}\n`;
  }
  return out;
}

/** The `probe` command. */
export const probe: Command = {
  name: 'probe',
  help,
  async run(args: readonly string[], io: CliIo): Promise<number> {
    const values = parseOptionsOrHelp(args, {
      json: { type: 'boolean' },
    }, help, io);
    if (values === undefined) return EXIT_OK;
    const report = probeKernel();
    if (!report.anyProbeRan) {
      const why = report.needPrivileges.length > 0 ? 'needs privileges (run as root, or with CAP_BPF, CAP_PERFMON and CAP_NET_ADMIN)' : (report.programTypes.socket_filter?.reason ?? 'bpf() is not available');
      io.writeErr(`tsbpf probe: no probe could run: ${why}\n`);
      return EXIT_USAGE;
    }
    if (values.json) {
      const { anyProbeRan: _ran, ...rest } = report;
      io.writeOut(`${JSON.stringify(rest)}\n`);
    } else {
      io.writeOut(formatReport(report));
    }
    return EXIT_OK;
  },
};
