/**
 * opensnoop's text output in BCC's layout: the header and one line per open, with the optional
 * columns BCC prints for `-T` (TIME(s)), `-U` (UID), `-t` (TID instead of PID) and `-e` (FLAGS).
 * @module
 */

import type { OpenEventRecord } from './opensnoop.js';

/** Which optional columns opensnoop prints. */
export interface OpenColumns {
  /** `TIME(s)` first (BCC's `-T`). */
  readonly timestamp: boolean;
  /** A `UID` column (BCC's `-U`). */
  readonly uid: boolean;
  /** `TID` instead of `PID` (BCC's `-t`). */
  readonly tid: boolean;
  /** A `FLAGS` column in octal (BCC's `-e`). */
  readonly flags: boolean;
}

/** The header line. */
export function formatOpenHeader(columns: OpenColumns): string {
  let header = '';
  if (columns.timestamp) header += 'TIME(s)'.padEnd(14) + ' ';
  if (columns.uid) header += 'UID'.padEnd(6) + ' ';
  header += `${(columns.tid ? 'TID' : 'PID').padEnd(6)} ${'COMM'.padEnd(16)} ${'FD'.padStart(4)} ${'ERR'.padStart(3)} `;
  if (columns.flags) header += 'FLAGS'.padEnd(8) + ' ';
  return `${header}PATH\n`;
}

/** The line of one event. */
export function formatOpenLine(e: OpenEventRecord, columns: OpenColumns): string {
  let out = '';
  if (columns.timestamp) out += e.ts.toFixed(9).padEnd(14) + ' ';
  if (columns.uid) out += String(e.uid).padEnd(6) + ' ';
  out += `${String(columns.tid ? e.tid : e.pid).padEnd(6)} ${e.comm.padEnd(16)} ${String(e.fd).padStart(4)} ${String(e.err).padStart(3)} `;
  if (columns.flags) out += e.flags.toString(8).padStart(8, '0') + ' ';
  return `${out}${e.path}\n`;
}
