/**
 * Starts a private containerd (CRI plugin, overlayfs, runc) under a fresh temporary folder and
 * tears it down without leaving processes, mounts, cgroups or sockets behind.
 */
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, openSync, closeSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { connectRuntime, type CriRuntime } from '../../src/runtime/cri-client.js';
import { killSandboxProcesses, removeCgroups, terminate, unmountAll, waitGone } from './cleanup.js';
import { HarnessError } from './errors.js';
import { run } from './exec.js';
import { buildImage, writeOciArchive, type BuiltImage } from './oci-image.js';

/** The pause image every sandbox gets unless told otherwise; built locally, never pulled. */
export const DEFAULT_SANDBOX_IMAGE = 'registry.eraser.test/pause:3.9';

/** containerd 1.6 puts shim sockets here whatever its config says. */
const SHIM_SOCKET_DIR = '/run/containerd/s';

export const CRI_NAMESPACE = 'k8s.io';

export interface ContainerdOptions {
  /** Parent of the sandbox folder (default: the OS temp dir). Keep it short: socket paths. */
  readonly baseDir?: string;
  /** Pause image reference; the harness builds and imports it. */
  readonly sandboxImage?: string;
  /** Bound on waiting for the socket, in ms (default 15 s). */
  readonly startTimeoutMs?: number;
  /** containerd log level (default `warn`); the log is `<dir>/containerd.log`. */
  readonly logLevel?: 'debug' | 'info' | 'warn' | 'error';
}

export interface ContainerdSandbox {
  /** The sandbox folder; everything containerd writes lives under it. */
  readonly dir: string;
  readonly socketPath: string;
  /** `unix://<socketPath>`, what connectRuntime takes. */
  readonly endpoint: string;
  readonly pid: number;
  readonly sandboxImage: string;
  /** The built pause image (ID and digests). */
  readonly sandboxImageBuilt: BuiltImage;
  /** Relative cgroup parent for pods of this sandbox; it marks their processes as ours. */
  readonly cgroupParent: string;
  /** Runs `ctr -a <socket> -n k8s.io <args>` and returns its stdout. */
  ctr(args: readonly string[]): Promise<string>;
  /** Imports a built image under `names` (default: its tags; digest-only when it has none). */
  importImage(image: BuiltImage, names?: readonly string[]): Promise<void>;
  /** Lets the CRI plugin pull from `host` (`127.0.0.1:PORT`) over plain HTTP. */
  allowInsecureRegistry(host: string): Promise<void>;
  /** Connects a CRI client to this containerd. */
  connect(opts?: { timeoutMs?: number }): Promise<CriRuntime>;
  /** Removes pods and containers, stops containerd, kills leftovers, unmounts, deletes dir. */
  stop(): Promise<void>;
}

function configToml(dir: string, sandboxImage: string): string {
  const cri = '[plugins."io.containerd.grpc.v1.cri"]';
  return `version = 2
root = "${dir}/root"
state = "${dir}/state"
# Plugins that would need other hosts' services or /opt are off.
disabled_plugins = [
  "io.containerd.internal.v1.opt",
  "io.containerd.internal.v1.tracing",
  "io.containerd.tracing.processor.v1.otlp",
  "io.containerd.snapshotter.v1.aufs",
  "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.snapshotter.v1.zfs",
]

[grpc]
  address = "${dir}/containerd.sock"

[ttrpc]
  address = "${dir}/containerd.sock.ttrpc"

${cri}
  sandbox_image = "${sandboxImage}"
  # This VM lacks CAP_SYS_RESOURCE; without it runc cannot start containers.
  restrict_oom_score_adj = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"

${cri.slice(0, -1)}.containerd]
  snapshotter = "overlayfs"
  default_runtime_name = "runc"

${cri.slice(0, -1)}.containerd.runtimes.runc]
  runtime_type = "io.containerd.runc.v2"

${cri.slice(0, -1)}.containerd.runtimes.runc.options]
  Root = "${dir}/runc"

# Pods use the host network, so CNI stays unconfigured; these folders only keep it local.
${cri.slice(0, -1)}.cni]
  bin_dir = "${dir}/cni/bin"
  conf_dir = "${dir}/cni/conf"

${cri.slice(0, -1)}.registry]
  config_path = "${dir}/certs.d"
`;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function canConnect(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ path });
    socket.on('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => {
      resolve(false);
    });
  });
}

async function logTail(dir: string): Promise<string> {
  const log = await readFile(join(dir, 'containerd.log'), 'utf8').catch(() => '');
  return log.split('\n').slice(-15).join('\n');
}

async function waitForSocket(
  dir: string,
  socketPath: string,
  exited: () => boolean,
  boundMs: number,
): Promise<void> {
  const until = Date.now() + boundMs;
  while (Date.now() < until) {
    if (exited()) {
      throw new HarnessError('HARNESS_CONTAINERD_EXITED', 'containerd exited during start-up', {
        dir,
        log: await logTail(dir),
      });
    }
    if (existsSync(socketPath) && (await canConnect(socketPath))) return;
    await sleep(20);
  }
  throw new HarnessError(
    'HARNESS_CONTAINERD_TIMEOUT',
    `containerd did not open ${socketPath} within ${boundMs} ms`,
    { dir, log: await logTail(dir) },
  );
}

function spawnContainerd(dir: string, logLevel: string): { pid: number; exited: () => boolean } {
  const logFd = openSync(join(dir, 'containerd.log'), 'a');
  const child = spawn(
    'containerd',
    ['--config', join(dir, 'config.toml'), '--log-level', logLevel],
    { stdio: ['ignore', logFd, logFd], detached: false },
  );
  closeSync(logFd);

  let hasExited = false;
  child.on('exit', () => {
    hasExited = true;
  });
  child.on('error', () => {
    hasExited = true;
  });
  child.unref();

  if (child.pid === undefined) {
    throw new HarnessError('HARNESS_CONTAINERD_SPAWN', 'could not spawn containerd', { dir });
  }
  return { pid: child.pid, exited: () => hasExited };
}

/** Starts a private containerd and imports its pause image. */
export async function startContainerd(opts: ContainerdOptions = {}): Promise<ContainerdSandbox> {
  const dir = await mkdtemp(join(opts.baseDir ?? tmpdir(), 'ctrd-'));
  const sandboxImage = opts.sandboxImage ?? DEFAULT_SANDBOX_IMAGE;
  const socketPath = join(dir, 'containerd.sock');

  await mkdir(SHIM_SOCKET_DIR, { recursive: true });
  await mkdir(join(dir, 'certs.d'));
  await writeFile(join(dir, 'config.toml'), configToml(dir, sandboxImage));

  const { pid, exited } = spawnContainerd(dir, opts.logLevel ?? 'warn');
  const sandbox = createSandbox({ dir, socketPath, pid, sandboxImage });
  try {
    await waitForSocket(dir, socketPath, exited, opts.startTimeoutMs ?? 15_000);
    await sandbox.importPause();
  } catch (err: unknown) {
    await sandbox.stop();
    throw err;
  }
  return sandbox;
}

interface SandboxInit {
  readonly dir: string;
  readonly socketPath: string;
  readonly pid: number;
  readonly sandboxImage: string;
}

function createSandbox(init: SandboxInit): ContainerdSandbox & { importPause(): Promise<void> } {
  const { dir, socketPath, pid, sandboxImage } = init;
  const cgroupParent = `eraser-${randomBytes(6).toString('hex')}`;
  let pause: BuiltImage | undefined;
  let stopped: Promise<void> | undefined;

  const ctr = async (args: readonly string[]): Promise<string> =>
    (await run('ctr', ['-a', socketPath, '-n', CRI_NAMESPACE, ...args])).stdout;

  let watcher: Promise<CriRuntime> | undefined;
  const criWatcher = (): Promise<CriRuntime> => {
    watcher ??= connectRuntime(`unix://${socketPath}`, { timeoutMs: 10_000 });
    return watcher;
  };

  const importImage = async (image: BuiltImage, names?: readonly string[]): Promise<void> => {
    const chosen = names ?? importNames(image);
    const archive = join(dir, `import-${randomBytes(6).toString('hex')}.tar`);
    await writeOciArchive(image, chosen, archive);
    try {
      await ctr(['images', 'import', '--no-unpack', archive]);
    } finally {
      await rm(archive, { force: true });
    }
    await waitUntilCriSees(await criWatcher(), chosen, image.id);
  };

  return {
    dir,
    socketPath,
    endpoint: `unix://${socketPath}`,
    pid,
    sandboxImage,
    cgroupParent,
    get sandboxImageBuilt(): BuiltImage {
      if (pause === undefined) throw new HarnessError('HARNESS_NOT_READY', 'no pause image yet');
      return pause;
    },
    ctr,
    importImage,
    allowInsecureRegistry: (host) => writeHostsToml(dir, host),
    connect: (opts) => connectRuntime(`unix://${socketPath}`, opts ?? {}),
    async importPause(): Promise<void> {
      pause = await buildImage({ tags: [sandboxImage], seed: 'pause', cmd: PAUSE_CMD });
      await importImage(pause, [sandboxImage]);
    },
    stop(): Promise<void> {
      stopped ??= (async () => {
        (await watcher?.catch(() => undefined))?.close();
        await teardown({ dir, socketPath, pid, cgroupParent });
      })();
      return stopped;
    },
  };
}

/**
 * The CRI plugin learns about images imported with ctr from containerd events, a moment after
 * the import returns; wait until every name resolves to the image, so callers see it at once.
 */
async function waitUntilCriSees(
  runtime: CriRuntime,
  names: readonly string[],
  id: string,
): Promise<void> {
  const until = Date.now() + 10_000;
  for (const name of names) {
    while ((await runtime.imageStatus(name))?.id !== id) {
      if (Date.now() > until) {
        throw new HarnessError('HARNESS_IMPORT_INVISIBLE', `CRI does not see ${name} as ${id}`, {
          name,
          id,
        });
      }
      await sleep(10);
    }
  }
}

/** The pause container only has to stay alive; StopPodSandbox kills it with SIGKILL. */
const PAUSE_CMD = ['/bin/sleep', '2147483647'];

/** Tags as they are; an untagged image is named `<repo>@<digest>`, like a pull by digest. */
export function importNames(image: BuiltImage): string[] {
  if (image.tags.length > 0) return [...image.tags];
  return [`registry.eraser.test/untagged@${image.manifestDigest}`];
}

async function writeHostsToml(dir: string, host: string): Promise<void> {
  if (!/^[\w.-]+(:\d+)?$/.test(host)) {
    throw new HarnessError('HARNESS_BAD_HOST', `registry host ${host} is not host[:port]`, {
      host,
    });
  }
  const hostDir = join(dir, 'certs.d', host);
  await mkdir(hostDir, { recursive: true });
  const toml = `server = "http://${host}"

[host."http://${host}"]
  capabilities = ["pull", "resolve"]
`;
  await writeFile(join(hostDir, 'hosts.toml'), toml);
}

interface TeardownTarget {
  readonly dir: string;
  readonly socketPath: string;
  readonly pid: number;
  readonly cgroupParent: string;
}

/** Best effort: stops and removes every pod through CRI so shims exit cleanly. */
async function removeWorkloads(socketPath: string): Promise<void> {
  let runtime: CriRuntime | undefined;
  try {
    runtime = await connectRuntime(`unix://${socketPath}`, { timeoutMs: 5_000 });
    const client = runtime;
    const pods = await client.listSandboxes();
    await Promise.all(
      pods.map(async (pod) => {
        await client.stopPodSandbox(pod.id).catch(() => undefined);
        await client.removePodSandbox(pod.id).catch(() => undefined);
      }),
    );
  } catch {
    // containerd may be gone already; leftovers are killed below.
  } finally {
    runtime?.close();
  }
}

/** Shim sockets are named sha256(<containerd address>/<namespace>/<task id>). */
async function removeShimSockets(dir: string, socketPath: string): Promise<void> {
  const taskDir = join(dir, 'state', 'io.containerd.runtime.v2.task', CRI_NAMESPACE);
  const ids = await readdir(taskDir).catch(() => [] as string[]);
  for (const id of ids) {
    const hash = createHash('sha256')
      .update(join(socketPath, CRI_NAMESPACE, id))
      .digest('hex');
    await unlink(join(SHIM_SOCKET_DIR, hash)).catch(() => undefined);
  }
}

async function teardown(target: TeardownTarget): Promise<void> {
  const { dir, socketPath, pid, cgroupParent } = target;
  if (existsSync(socketPath)) await removeWorkloads(socketPath);

  await terminate(pid, 5_000);
  const match = { cmdlineMarkers: [dir], cgroupToken: cgroupParent, pids: [pid] };
  const leftovers = await killSandboxProcesses(match);
  await waitGone(leftovers, 5_000);

  await removeShimSockets(dir, socketPath);
  await unmountAll(dir);
  await removeCgroups(cgroupParent);
  await rm(dir, { recursive: true, force: true, maxRetries: 3 });
  if (
    await stat(dir).then(
      () => true,
      () => false,
    )
  ) {
    throw new HarnessError('HARNESS_TEARDOWN_INCOMPLETE', `could not delete ${dir}`, { dir });
  }
}
