/**
 * Network interfaces by name: `ifindexOf('eth0')` reads `/sys/class/net/eth0/ifindex`.
 * @module
 */

import { readFileSync } from 'node:fs';

/** A network interface name that is not valid or not present. */
export class NetdevError extends Error {
  /** The name (or index) asked for. */
  readonly iface: string | number;

  constructor(iface: string | number, reason: string) {
    super(`network interface ${JSON.stringify(iface)}: ${reason}`);
    this.name = 'NetdevError';
    this.iface = iface;
  }
}

/** `IFNAMSIZ` - 1: the longest interface name. */
export const IFNAME_MAX = 15;

/** Why `name` cannot be an interface name (as `dev_valid_name` in `net/core/dev.c` decides), or undefined. */
export function ifnameProblem(name: string): string | undefined {
  if (name.length === 0) return 'empty name';
  if (Buffer.byteLength(name) > IFNAME_MAX) return `longer than ${IFNAME_MAX} bytes`;
  if (name === '.' || name === '..') return 'not a name';
  if (/[/:\s\0]/.test(name)) return "contains '/', ':', NUL or white space";
  return undefined;
}

/**
 * The ifindex of interface `iface` in the network namespace `/sys` shows (normally the
 * process's own); a number is checked and returned as is. Throws a {@link NetdevError} for an
 * invalid or missing interface.
 */
export function ifindexOf(iface: string | number): number {
  if (typeof iface === 'number') {
    if (!Number.isInteger(iface) || iface <= 0 || iface > 0x7fffffff) throw new NetdevError(iface, 'not an ifindex (a positive integer)');
    return iface;
  }
  const problem = ifnameProblem(iface);
  if (problem !== undefined) throw new NetdevError(iface, problem);
  let text: string;
  try {
    text = readFileSync(`/sys/class/net/${iface}/ifindex`, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new NetdevError(iface, code === 'ENOENT' ? 'no such interface' : `cannot read /sys/class/net/${iface}/ifindex (${code ?? String(err)})`);
  }
  const n = Number(text.trim());
  if (!Number.isInteger(n) || n <= 0) throw new NetdevError(iface, `odd ifindex ${JSON.stringify(text.trim())}`);
  return n;
}
