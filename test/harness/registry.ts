/**
 * A local image registry (Debian's docker-registry) on 127.0.0.1, and pushes to it with skopeo,
 * so that CRI PullImage, including pulls by digest, can be tested without the internet.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, openSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { get } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { terminate } from './cleanup.js';
import { HarnessError } from './errors.js';
import { run } from './exec.js';
import { writeOciArchive, type BuiltImage } from './oci-image.js';

export interface Registry {
  /** `127.0.0.1:PORT`, the registry part of references. */
  readonly host: string;
  readonly dir: string;
  readonly pid: number;
  stop(): Promise<void>;
}

export interface PushedImage {
  /** `127.0.0.1:PORT/repo:tag`. */
  readonly reference: string;
  /** `127.0.0.1:PORT/repo@sha256:…`, pullable by digest. */
  readonly digestReference: string;
  readonly manifestDigest: string;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => {
        resolve(port);
      });
    });
  });
}

function registryConfig(dir: string, host: string): string {
  return `version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: ${dir}/data
  delete:
    enabled: true
http:
  addr: ${host}
`;
}

function answersV2(host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const request = get(`http://${host}/v2/`, { timeout: 1_000 }, (response) => {
      response.resume();
      resolve(response.statusCode === 200);
    });
    request.on('error', () => {
      resolve(false);
    });
    request.on('timeout', () => {
      request.destroy();
      resolve(false);
    });
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function waitReady(host: string, exited: () => boolean, dir: string): Promise<void> {
  const until = Date.now() + 15_000;
  while (Date.now() < until && !exited()) {
    if (await answersV2(host)) return;
    await sleep(25);
  }
  const log = await readFile(join(dir, 'registry.log'), 'utf8').catch(() => '');
  throw new HarnessError('HARNESS_REGISTRY_START', `registry on ${host} did not become ready`, {
    host,
    log: log.slice(-2_000),
  });
}

function spawnRegistry(dir: string): { pid: number; exited: () => boolean } {
  const logFd = openSync(join(dir, 'registry.log'), 'a');
  const child = spawn('docker-registry', ['serve', join(dir, 'config.yml')], {
    stdio: ['ignore', logFd, logFd],
  });
  closeSync(logFd);

  let hasExited = false;
  child.on('exit', () => (hasExited = true));
  child.on('error', () => (hasExited = true));
  child.unref();
  if (child.pid === undefined) {
    throw new HarnessError('HARNESS_REGISTRY_SPAWN', 'could not spawn docker-registry', { dir });
  }
  return { pid: child.pid, exited: () => hasExited };
}

/** Starts a registry on a free loopback port with its storage in a fresh temp folder. */
export async function startRegistry(opts: { baseDir?: string } = {}): Promise<Registry> {
  const dir = await mkdtemp(join(opts.baseDir ?? tmpdir(), 'registry-'));
  const host = `127.0.0.1:${await freePort()}`;
  await writeFile(join(dir, 'config.yml'), registryConfig(dir, host));

  const { pid, exited } = spawnRegistry(dir);
  const stop = async (): Promise<void> => {
    await terminate(pid, 3_000);
    await rm(dir, { recursive: true, force: true });
  };

  try {
    await waitReady(host, exited, dir);
  } catch (err: unknown) {
    await stop();
    throw err;
  }
  return { host, dir, pid, stop };
}

/** Pushes `image` to `registry` as `repo:tag` with skopeo; returns tag and digest references. */
export async function pushImage(
  registry: Pick<Registry, 'host' | 'dir'>,
  image: BuiltImage,
  repo: string,
  tag = 'latest',
): Promise<PushedImage> {
  const archive = join(registry.dir, `push-${randomBytes(6).toString('hex')}.tar`);
  const digestFile = `${archive}.digest`;
  const reference = `${registry.host}/${repo}:${tag}`;
  await writeOciArchive(image, [], archive);
  try {
    await run('skopeo', [
      '--insecure-policy',
      'copy',
      '--quiet',
      '--dest-tls-verify=false',
      '--digestfile',
      digestFile,
      `oci-archive:${archive}`,
      `docker://${reference}`,
    ]);
    const manifestDigest = (await readFile(digestFile, 'utf8')).trim();
    return {
      reference,
      digestReference: `${registry.host}/${repo}@${manifestDigest}`,
      manifestDigest,
    };
  } finally {
    await rm(archive, { force: true });
    await rm(digestFile, { force: true });
  }
}
