/**
 * Network namespaces, veth pairs and cgroups for kernel tests: created with `ip` and mkdir,
 * removed by `remove()` (call it in `finally`), named after the test's pid so concurrent runs do
 * not collide.
 * @module
 */

import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cgroup2Root } from '../../src/attach/cgroup.js';

let counter = 0;

/** A plain environment for the shells tests start (no shims or rc files on PATH). */
const plainEnv = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C' };

/** Runs `cmd args…`; throws with its stderr when it fails. */
export function run(cmd: string, args: readonly string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 10_000 });
  if (r.error !== undefined) throw new Error(`${cmd} ${args.join(' ')}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: exit ${r.status}: ${r.stderr.trim()}`);
  return r.stdout;
}

/**
 * A veth pair: {@link VethNs.hostIf} (`hostIp`) stays in this process's namespace,
 * {@link VethNs.peerIf} (`peerIp`) lives in namespace {@link VethNs.ns}; a /30 between them.
 */
export interface VethNs {
  /** The namespace's name (`ip netns`). */
  readonly ns: string;
  /** The veth end in this process's namespace. */
  readonly hostIf: string;
  /** The veth end inside {@link VethNs.ns}. */
  readonly peerIf: string;
  /** The address of {@link VethNs.hostIf}. */
  readonly hostIp: string;
  /** The address of {@link VethNs.peerIf}. */
  readonly peerIp: string;
  /** Runs `bash -c script` inside the namespace. */
  bashInNs(script: string): SpawnSyncReturns<string>;
  /** Deletes the namespace and the veth pair (idempotent, never throws). */
  remove(): void;
}

/** Creates a namespace and a veth pair into it, both up with addresses; removes what it made when a step fails. */
export function createVethNs(): VethNs {
  const n = counter++;
  const id = `${process.pid % 100000}${n}`;
  const ns = `tsbpf-${id}`;
  const hostIf = `tbh${id}`.slice(0, 15);
  const peerIf = `tbp${id}`.slice(0, 15);
  // Distinct per (pid mod 3000, n < 4), so concurrent runs rarely share a subnet.
  const subnet = `10.${200 + (process.pid % 50)}.${((Math.floor(process.pid / 50) % 60) * 4 + (n % 4)) % 256}`;
  const hostIp = `${subnet}.1`;
  const peerIp = `${subnet}.2`;
  const remove = () => {
    spawnSync('ip', ['link', 'del', hostIf], { stdio: 'ignore' });
    spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
  };
  try {
    run('ip', ['netns', 'add', ns]);
    run('ip', ['link', 'add', hostIf, 'type', 'veth', 'peer', 'name', peerIf]);
    run('ip', ['link', 'set', peerIf, 'netns', ns]);
    run('ip', ['addr', 'add', `${hostIp}/30`, 'dev', hostIf]);
    run('ip', ['link', 'set', hostIf, 'up']);
    run('ip', ['-n', ns, 'addr', 'add', `${peerIp}/30`, 'dev', peerIf]);
    run('ip', ['-n', ns, 'link', 'set', peerIf, 'up']);
    run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
  } catch (err) {
    remove();
    throw err;
  }
  return {
    ns, hostIf, peerIf, hostIp, peerIp, remove,
    bashInNs: (script) => spawnSync('ip', ['netns', 'exec', ns, 'bash', '--noprofile', '--norc', '-c', script], { encoding: 'utf8', timeout: 10_000, env: plainEnv }),
  };
}

/** A child cgroup v2 of the root, for processes a test starts. */
export interface TestCgroup {
  /** Its directory. */
  readonly path: string;
  /** Runs `bash -c script` as a process moved into the cgroup first. */
  bash(script: string): SpawnSyncReturns<string>;
  /** Removes the cgroup (its processes have exited by then); idempotent, never throws. */
  remove(): void;
}

/** Creates `<cgroup2 root>/tsbpf-test-<pid>-<n>`. */
export function createTestCgroup(): TestCgroup {
  const path = join(cgroup2Root(), `tsbpf-test-${process.pid}-${counter++}`);
  mkdirSync(path);
  const procs = join(path, 'cgroup.procs');
  return {
    path,
    bash: (script) => spawnSync('bash', ['--noprofile', '--norc', '-c', `echo $$ > ${procs} || exit 99\n${script}`], { encoding: 'utf8', timeout: 10_000, env: plainEnv }),
    remove: () => {
      if (!existsSync(path)) return;
      // A leftover process (a test timed out) is moved back to the root first.
      try {
        const root = join(path, '..', 'cgroup.procs');
        for (const pid of readFileSync(procs, 'utf8').split('\n').filter(Boolean)) writeFileSync(root, pid);
      } catch {
        // Best effort.
      }
      try {
        rmdirSync(path);
      } catch {
        // Best effort.
      }
    },
  };
}
