/**
 * Builds small runnable OCI images in memory (busybox-static plus a layer of chosen files) and
 * writes them as OCI image-layout tar archives, which `ctr images import` and skopeo both read.
 * No docker, no network.
 */
import { createCipheriv, createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { gzipSync } from 'node:zlib';

import { pack } from 'tar-stream';

import { HarnessError } from './errors.js';

export const BUSYBOX_PATH = '/bin/busybox';

/** Applets linked into /bin; enough for sleep/true workloads and small shell scripts. */
const APPLETS = [
  'sh',
  'ash',
  'sleep',
  'true',
  'false',
  'echo',
  'cat',
  'ls',
  'env',
  'id',
  'ps',
  'mkdir',
  'rm',
  'touch',
  'test',
  'printf',
  'wc',
  'head',
  'tail',
  'grep',
  'sed',
  'uname',
  'date',
  'hostname',
  'kill',
  'pwd',
  'stat',
];

const MEDIA_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const MEDIA_CONFIG = 'application/vnd.oci.image.config.v1+json';
const MEDIA_LAYER_GZIP = 'application/vnd.oci.image.layer.v1.tar+gzip';

/** Fixed timestamps keep builds reproducible: the same spec always yields the same digests. */
const EPOCH = new Date(0);
const CREATED = '2024-01-01T00:00:00Z';

export interface ImageSpec {
  /**
   * References to tag the image with, e.g. `alpine:3.20` (qualified like a pull would:
   * `docker.io/library/alpine:3.20`) or `registry.eraser.test/app:v1`. Empty or absent: the
   * image is known by digest only.
   */
  readonly tags?: readonly string[];
  /** Extra files in the top layer, path → content. Paths are made relative to `/`. */
  readonly files?: Readonly<Record<string, string | Uint8Array>>;
  /** Different seeds give different images (different layer, config and ID). */
  readonly seed?: string;
  /** Adds this many incompressible bytes (derived from the seed) to grow the image. */
  readonly padBytes?: number;
  /** Image config Cmd; `/bin/sh` by default. */
  readonly cmd?: readonly string[];
  /** Image config labels. */
  readonly labels?: Readonly<Record<string, string>>;
}

export interface Descriptor {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
}

export interface BuiltImage {
  /** Image ID as CRI reports it: the config digest, `sha256:…`. */
  readonly id: string;
  readonly manifestDigest: string;
  /** Fully qualified tags the image will carry once imported. */
  readonly tags: readonly string[];
  readonly manifest: Descriptor;
  /** Compressed size of config + layers, what containerd's CRI reports as size. */
  readonly size: number;
  /** Every blob by digest: layers, config, manifest. */
  readonly blobs: ReadonlyMap<string, Buffer>;
}

export function sha256(data: Uint8Array): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/**
 * Qualifies a reference the way the CRI does on pull: no domain → docker.io, one-component
 * docker.io names → library/, no tag or digest → :latest.
 */
export function qualifyReference(ref: string): string {
  const slash = ref.indexOf('/');
  const first = slash === -1 ? '' : ref.slice(0, slash);
  const hasDomain = first.includes('.') || first.includes(':') || first === 'localhost';
  let named = hasDomain ? ref : `docker.io/${ref}`;
  if (named.startsWith('docker.io/') && !named.slice('docker.io/'.length).includes('/')) {
    named = `docker.io/library/${named.slice('docker.io/'.length)}`;
  }

  const lastPart = named.slice(named.lastIndexOf('/') + 1);
  return lastPart.includes(':') || lastPart.includes('@') ? named : `${named}:latest`;
}

interface TarEntry {
  readonly name: string;
  readonly type: 'file' | 'directory' | 'symlink';
  readonly mode: number;
  readonly content?: Uint8Array;
  readonly linkname?: string;
}

async function tarOf(entries: readonly TarEntry[]): Promise<Buffer> {
  const archive = pack();
  const chunks: Buffer[] = [];
  archive.on('data', (chunk: unknown) => {
    if (Buffer.isBuffer(chunk)) chunks.push(chunk);
  });
  const done = new Promise<void>((resolve, reject) => {
    archive.on('end', resolve);
    archive.on('error', reject);
  });

  for (const entry of entries) {
    const header = { name: entry.name, type: entry.type, mode: entry.mode, mtime: EPOCH };
    const withLink =
      entry.linkname === undefined ? header : { ...header, linkname: entry.linkname };
    if (entry.content === undefined) archive.entry(withLink);
    else archive.entry(withLink, Buffer.from(entry.content));
  }
  archive.finalize();
  await done;
  return Buffer.concat(chunks);
}

interface Layer {
  readonly descriptor: Descriptor;
  readonly diffId: string;
  readonly blob: Buffer;
}

async function layerOf(entries: readonly TarEntry[]): Promise<Layer> {
  const tar = await tarOf(entries);
  const blob = gzipSync(tar);
  return {
    descriptor: { mediaType: MEDIA_LAYER_GZIP, digest: sha256(blob), size: blob.length },
    diffId: sha256(tar),
    blob,
  };
}

let busyboxLayer: Promise<Layer> | undefined;

/** The busybox layer is the same for every image, so it is built once per process. */
function baseLayer(): Promise<Layer> {
  busyboxLayer ??= buildBaseLayer();
  return busyboxLayer;
}

async function buildBaseLayer(): Promise<Layer> {
  let busybox: Buffer;
  try {
    busybox = await readFile(BUSYBOX_PATH);
  } catch (err: unknown) {
    throw new HarnessError(
      'HARNESS_BUSYBOX_MISSING',
      `cannot read ${BUSYBOX_PATH}; install busybox-static (scripts/install-deps.sh)`,
      { path: BUSYBOX_PATH },
      { cause: err },
    );
  }

  const entries: TarEntry[] = [
    { name: 'bin/', type: 'directory', mode: 0o755 },
    { name: 'bin/busybox', type: 'file', mode: 0o755, content: busybox },
    ...APPLETS.map((applet): TarEntry => ({
      name: `bin/${applet}`,
      type: 'symlink',
      mode: 0o777,
      linkname: 'busybox',
    })),
    { name: 'tmp/', type: 'directory', mode: 0o1777 },
    { name: 'etc/', type: 'directory', mode: 0o755 },
  ];
  return layerOf(entries);
}

/** Incompressible but reproducible bytes: AES-CTR keystream keyed by the seed. */
function paddingBytes(seed: string, length: number): Buffer {
  const key = createHash('sha256').update(`pad:${seed}`).digest();
  const cipher = createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
  return Buffer.concat([cipher.update(Buffer.alloc(length)), cipher.final()]);
}

function parentDirs(path: string): string[] {
  const parts = path.split('/').slice(0, -1);
  return parts.map((_, i) => `${parts.slice(0, i + 1).join('/')}/`);
}

function topLayerEntries(spec: ImageSpec): TarEntry[] {
  const files = new Map<string, Uint8Array>();
  files.set('eraser-seed', Buffer.from(spec.seed ?? ''));
  for (const [path, content] of Object.entries(spec.files ?? {})) {
    const relative = path.replace(/^\/+/, '');
    files.set(relative, typeof content === 'string' ? Buffer.from(content) : content);
  }
  if ((spec.padBytes ?? 0) > 0) {
    files.set('eraser-padding', paddingBytes(spec.seed ?? '', spec.padBytes ?? 0));
  }

  const dirs = new Set([...files.keys()].flatMap(parentDirs));
  return [
    ...[...dirs].sort().map((name): TarEntry => ({ name, type: 'directory', mode: 0o755 })),
    ...[...files].map(([name, content]): TarEntry => ({
      name,
      type: 'file',
      mode: 0o644,
      content,
    })),
  ];
}

function goArch(): string {
  const map: Readonly<Record<string, string>> = { x64: 'amd64', arm64: 'arm64', arm: 'arm' };
  return map[process.arch] ?? process.arch;
}

function jsonBlob(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value));
}

/** Builds an image from its spec; the same spec always gives the same digests. */
export async function buildImage(spec: ImageSpec = {}): Promise<BuiltImage> {
  validateSpec(spec);
  const layers = [await baseLayer(), await layerOf(topLayerEntries(spec))];

  const config = jsonBlob({
    created: CREATED,
    architecture: goArch(),
    os: 'linux',
    config: {
      Env: ['PATH=/bin'],
      Cmd: spec.cmd ?? ['/bin/sh'],
      Labels: spec.labels ?? {},
    },
    rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
  });
  const configDescriptor = { mediaType: MEDIA_CONFIG, digest: sha256(config), size: config.length };

  const manifest = jsonBlob({
    schemaVersion: 2,
    mediaType: MEDIA_MANIFEST,
    config: configDescriptor,
    layers: layers.map((l) => l.descriptor),
  });
  const manifestDigest = sha256(manifest);

  const blobs = new Map<string, Buffer>([
    ...layers.map((l): [string, Buffer] => [l.descriptor.digest, l.blob]),
    [configDescriptor.digest, config],
    [manifestDigest, manifest],
  ]);

  return {
    id: configDescriptor.digest,
    manifestDigest,
    tags: (spec.tags ?? []).map(qualifyReference),
    manifest: { mediaType: MEDIA_MANIFEST, digest: manifestDigest, size: manifest.length },
    size: config.length + layers.reduce((sum, l) => sum + l.descriptor.size, 0),
    blobs,
  };
}

function validateSpec(spec: ImageSpec): void {
  const pad = spec.padBytes ?? 0;
  if (!Number.isSafeInteger(pad) || pad < 0) {
    throw new HarnessError('HARNESS_BAD_IMAGE_SPEC', `padBytes must be a whole number >= 0`, {
      padBytes: pad,
    });
  }

  for (const path of Object.keys(spec.files ?? {})) {
    const relative = path.replace(/^\/+/, '');
    if (relative === '' || relative.split('/').some((p) => p === '' || p === '.' || p === '..')) {
      throw new HarnessError('HARNESS_BAD_IMAGE_SPEC', `file path ${path} is not a clean path`, {
        path,
      });
    }
  }
}

/** One image and the names it is imported under. */
export interface ArchiveEntry {
  readonly image: BuiltImage;
  readonly names: readonly string[];
}

function indexEntries({ image, names }: ArchiveEntry): object[] {
  const descriptor = {
    ...image.manifest,
    platform: { architecture: goArch(), os: 'linux' },
  };
  if (names.length === 0) return [descriptor];
  return names.map((name) => ({
    ...descriptor,
    annotations: {
      'io.containerd.image.name': name,
      'org.opencontainers.image.ref.name': name,
    },
  }));
}

function indexOf(entries: readonly ArchiveEntry[]): Buffer {
  return jsonBlob({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: entries.flatMap(indexEntries),
  });
}

/**
 * Writes an OCI image-layout tar. Each name becomes one index entry annotated with that full
 * name (what `ctr images import` names the image); no names give one anonymous entry, which is
 * what skopeo's `oci-archive:` transport picks when no reference is given.
 */
export async function writeOciArchive(
  image: BuiltImage,
  names: readonly string[],
  path: string,
): Promise<void> {
  await writeOciArchiveMany([{ image, names }], path);
}

/** Writes several images into one OCI layout tar; shared blobs are written once. */
export async function writeOciArchiveMany(
  entries: readonly ArchiveEntry[],
  path: string,
): Promise<void> {
  const archive = pack();
  const written = pipeline(archive, createWriteStream(path));

  archive.entry({ name: 'oci-layout', mtime: EPOCH }, '{"imageLayoutVersion":"1.0.0"}');
  archive.entry({ name: 'index.json', mtime: EPOCH }, indexOf(entries));
  archive.entry({ name: 'blobs/', type: 'directory', mtime: EPOCH });
  archive.entry({ name: 'blobs/sha256/', type: 'directory', mtime: EPOCH });
  const blobs = new Map(entries.flatMap(({ image }) => [...image.blobs]));
  for (const [digest, blob] of blobs) {
    archive.entry({ name: `blobs/sha256/${digest.slice('sha256:'.length)}`, mtime: EPOCH }, blob);
  }
  archive.finalize();
  await written;
}
