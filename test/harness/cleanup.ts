/**
 * Finds and removes what a containerd sandbox leaves behind: processes (containerd, shims, runc,
 * container processes), mounts under its folder, its cgroups and shim sockets. Everything is
 * matched by the sandbox's own folder or cgroup token, never by a process name, so other
 * containerd instances on the machine are never touched.
 */
import { readFileSync } from 'node:fs';
import { readdir, readFile, rmdir } from 'node:fs/promises';
import { join } from 'node:path';

import { run } from './exec.js';

export interface MountEntry {
  readonly mountId: number;
  readonly parentId: number;
  readonly mountPoint: string;
  readonly fsType: string;
}

/** Undoes mountinfo's octal escapes (`\040` for a space, `\011`, `\012`, `\134`). */
function unescapeMountField(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/**
 * Parses /proc/PID/mountinfo. Malformed lines are skipped: a half-parsed mount is worse than
 * none, and the caller re-reads the table after every unmount anyway.
 */
export function parseMountinfo(text: string): MountEntry[] {
  const entries: MountEntry[] = [];
  for (const line of text.split('\n')) {
    const fields = line.split(' ');
    const separator = fields.indexOf('-');
    if (separator < 6 || fields.length < separator + 2) continue;

    const mountId = Number(fields[0]);
    const parentId = Number(fields[1]);
    const mountPoint = fields[4];
    const fsType = fields[separator + 1];
    if (!Number.isSafeInteger(mountId) || !Number.isSafeInteger(parentId)) continue;
    if (mountPoint === undefined || !mountPoint.startsWith('/') || fsType === undefined) continue;

    entries.push({ mountId, parentId, mountPoint: unescapeMountField(mountPoint), fsType });
  }
  return entries;
}

function isUnder(path: string, dir: string): boolean {
  const base = dir.endsWith('/') ? dir : `${dir}/`;
  return path === dir || path.startsWith(base);
}

/** Mounts at or below `dir`, deepest first (the order they must be unmounted in). */
export async function mountsUnder(dir: string): Promise<MountEntry[]> {
  const all = parseMountinfo(await readFile('/proc/self/mountinfo', 'utf8'));
  return all
    .filter((m) => isUnder(m.mountPoint, dir))
    .sort((a, b) => b.mountPoint.length - a.mountPoint.length || b.mountId - a.mountId);
}

/** Unmounts everything below `dir`, retrying lazily for busy mounts; bounded. */
export async function unmountAll(dir: string): Promise<void> {
  for (let round = 0; round < 5; round++) {
    const mounts = await mountsUnder(dir);
    if (mounts.length === 0) return;
    for (const mount of mounts) {
      await run('umount', [mount.mountPoint], { timeoutMs: 10_000 }).catch(() =>
        run('umount', ['-l', mount.mountPoint], { timeoutMs: 10_000 }).catch(() => undefined),
      );
    }
  }
}

interface ProcInfo {
  readonly pid: number;
  readonly ppid: number;
  /** Single-letter state from /proc/PID/stat; `Z` (zombie) holds nothing but a PID. */
  readonly state: string;
  readonly cmdline: string;
  readonly cgroup: string;
}

async function readProc(pid: number): Promise<ProcInfo | undefined> {
  try {
    const [stat, cmdline, cgroup] = await Promise.all([
      readFile(`/proc/${pid}/stat`, 'utf8'),
      readFile(`/proc/${pid}/cmdline`, 'utf8'),
      readFile(`/proc/${pid}/cgroup`, 'utf8'),
    ]);
    // The command name in field 2 may contain spaces and parentheses; fields resume after ')'.
    const afterName = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ppid = Number(afterName[1]);
    return { pid, ppid, state: afterName[0] ?? '', cmdline: cmdline.replaceAll('\0', ' '), cgroup };
  } catch {
    return undefined;
  }
}

async function allProcesses(): Promise<ProcInfo[]> {
  const pids = (await readdir('/proc')).filter((n) => /^\d+$/.test(n)).map(Number);
  const infos = await Promise.all(pids.map(readProc));
  return infos.filter(
    (p): p is ProcInfo => p !== undefined && p.pid !== process.pid && p.state !== 'Z',
  );
}

export interface ProcessMatch {
  /** Substrings of a command line that mark a process as ours (the sandbox folder). */
  readonly cmdlineMarkers: readonly string[];
  /** A token in /proc/PID/cgroup that marks container processes as ours. */
  readonly cgroupToken?: string;
  /** PIDs known to be ours (containerd itself). */
  readonly pids?: readonly number[];
}

function isMarked(p: ProcInfo, match: ProcessMatch): boolean {
  if (match.pids?.includes(p.pid) === true) return true;
  if (match.cmdlineMarkers.some((m) => p.cmdline.includes(m))) return true;
  return match.cgroupToken !== undefined && p.cgroup.includes(match.cgroupToken);
}

/** Processes that belong to the sandbox, with all their descendants. */
export async function sandboxProcesses(match: ProcessMatch): Promise<number[]> {
  const procs = await allProcesses();
  const ours = new Set(procs.filter((p) => isMarked(p, match)).map((p) => p.pid));

  let grew = true;
  while (grew) {
    grew = false;
    for (const p of procs) {
      if (!ours.has(p.pid) && ours.has(p.ppid)) {
        ours.add(p.pid);
        grew = true;
      }
    }
  }
  return [...ours];
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // Already gone.
  }
}

/** A zombie counts as gone: it runs nothing, and only its (foreign) parent can reap it. */
function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Waits until none of `pids` is alive, polling; false when the bound passed first. */
export async function waitGone(pids: readonly number[], boundMs: number): Promise<boolean> {
  const until = Date.now() + boundMs;
  while (Date.now() < until) {
    if (!pids.some(isAlive)) return true;
    await sleep(20);
  }
  return !pids.some(isAlive);
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone (bounded). */
export async function terminate(pid: number, graceMs: number): Promise<void> {
  signal(pid, 'SIGTERM');
  if (await waitGone([pid], graceMs)) return;
  signal(pid, 'SIGKILL');
  await waitGone([pid], 5_000);
}

/** SIGKILLs every process of the sandbox until none is left (bounded rounds). */
export async function killSandboxProcesses(match: ProcessMatch): Promise<number[]> {
  const killed = new Set<number>();
  for (let round = 0; round < 5; round++) {
    const pids = await sandboxProcesses(match);
    if (pids.length === 0) break;
    for (const pid of pids) {
      signal(pid, 'SIGKILL');
      killed.add(pid);
    }
    await waitGone(pids, 2_000);
  }
  return [...killed];
}

/** Cgroup folders named `token` below this process's own cgroup, in every hierarchy. */
export async function cgroupDirs(token: string): Promise<string[]> {
  const self = await readFile('/proc/self/cgroup', 'utf8');
  const mounts = parseMountinfo(await readFile('/proc/self/mountinfo', 'utf8')).filter(
    (m) => m.fsType === 'cgroup' || m.fsType === 'cgroup2',
  );
  const dirs: string[] = [];
  for (const mount of mounts) {
    for (const line of self.split('\n')) {
      const path = line.split(':').slice(2).join(':');
      if (path !== '') dirs.push(join(mount.mountPoint, path, token));
    }
    dirs.push(join(mount.mountPoint, token));
  }
  return [...new Set(dirs)];
}

async function removeCgroupTree(dir: string): Promise<void> {
  let children: string[];
  try {
    children = (await readdir(dir, { withFileTypes: true }))
      .filter((e) => e.isDirectory())
      .map((e) => join(dir, e.name));
  } catch {
    return;
  }
  for (const child of children) await removeCgroupTree(child);
  await rmdir(dir).catch(() => undefined);
}

/** Removes the (empty, once processes are gone) cgroup folders named `token`. */
export async function removeCgroups(token: string): Promise<void> {
  for (const dir of await cgroupDirs(token)) await removeCgroupTree(dir);
}
