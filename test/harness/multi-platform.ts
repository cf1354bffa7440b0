/**
 * Multi-platform images for the test bed: re-targets a built image at another platform and
 * wraps several in an OCI image index, then imports the index with ctr or pushes it to the
 * local registry with skopeo. Extends oci-image.ts without changing its API.
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';

import { pack } from 'tar-stream';

import type { ContainerdSandbox } from './containerd.js';
import { HarnessError } from './errors.js';
import { run } from './exec.js';
import { qualifyReference, sha256, type BuiltImage, type Descriptor } from './oci-image.js';
import type { Registry } from './registry.js';

const MEDIA_INDEX = 'application/vnd.oci.image.index.v1+json';
const MEDIA_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const EPOCH = new Date(0);

export interface ImagePlatform {
  readonly os: string;
  readonly architecture: string;
  readonly variant?: string;
}

/** An image index over several platform images, with every blob of all of them. */
export interface BuiltIndex {
  /** The index digest: what a tag or digest reference of the image points at. */
  readonly digest: string;
  readonly descriptor: Descriptor;
  readonly tags: readonly string[];
  readonly blobs: ReadonlyMap<string, Buffer>;
}

function json(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value));
}

function blobOf(image: BuiltImage, digest: string): Buffer {
  const blob = image.blobs.get(digest);
  if (blob === undefined) {
    throw new HarnessError('HARNESS_BAD_IMAGE', `image ${image.id} has no blob ${digest}`, {
      image: image.id,
      digest,
    });
  }
  return blob;
}

/**
 * The same layers with a config claiming `platform`: a new config digest (image ID) and a new
 * manifest. The binaries inside stay those of this machine; nothing runs these images.
 */
export function withPlatform(image: BuiltImage, platform: ImagePlatform): BuiltImage {
  const config = JSON.parse(blobOf(image, image.id).toString()) as Record<string, unknown>;
  const configBlob = json({ ...config, ...platform });
  const configDigest = sha256(configBlob);
  const manifest = JSON.parse(blobOf(image, image.manifestDigest).toString()) as {
    config: Descriptor;
  };
  const manifestBlob = json({
    ...manifest,
    config: { ...manifest.config, digest: configDigest, size: configBlob.length },
  });
  const manifestDigest = sha256(manifestBlob);

  const blobs = new Map(image.blobs);
  blobs.delete(image.id);
  blobs.delete(image.manifestDigest);
  blobs.set(configDigest, configBlob);
  blobs.set(manifestDigest, manifestBlob);
  const descriptor = {
    mediaType: MEDIA_MANIFEST,
    digest: manifestDigest,
    size: manifestBlob.length,
  };
  return { ...image, id: configDigest, manifestDigest, manifest: descriptor, blobs };
}

export function buildIndex(
  entries: readonly { image: BuiltImage; platform: ImagePlatform }[],
  tags: readonly string[],
): BuiltIndex {
  const index = json({
    schemaVersion: 2,
    mediaType: MEDIA_INDEX,
    manifests: entries.map(({ image, platform }) => ({ ...image.manifest, platform })),
  });
  const digest = sha256(index);
  const blobs = new Map<string, Buffer>(entries.flatMap(({ image }) => [...image.blobs]));
  blobs.set(digest, index);
  return {
    digest,
    descriptor: { mediaType: MEDIA_INDEX, digest, size: index.length },
    tags: tags.map(qualifyReference),
    blobs,
  };
}

/** An OCI layout tar whose index.json points (once per name, or once unnamed) at the index. */
export async function writeIndexArchive(
  index: BuiltIndex,
  names: readonly string[],
  path: string,
): Promise<void> {
  const archive = pack();
  const written = pipeline(archive, createWriteStream(path));
  const annotated = (name: string): object => ({
    ...index.descriptor,
    annotations: { 'io.containerd.image.name': name, 'org.opencontainers.image.ref.name': name },
  });
  const manifests = names.length === 0 ? [index.descriptor] : names.map(annotated);
  archive.entry({ name: 'oci-layout', mtime: EPOCH }, '{"imageLayoutVersion":"1.0.0"}');
  archive.entry(
    { name: 'index.json', mtime: EPOCH },
    json({ schemaVersion: 2, mediaType: MEDIA_INDEX, manifests }),
  );
  for (const [digest, blob] of index.blobs) {
    archive.entry({ name: `blobs/sha256/${digest.slice('sha256:'.length)}`, mtime: EPOCH }, blob);
  }
  archive.finalize();
  await written;
}

/** `ctr images import --all-platforms`: every platform's content lands in the store. */
export async function importIndex(containerd: ContainerdSandbox, index: BuiltIndex): Promise<void> {
  const archive = join(containerd.dir, `index-${randomBytes(6).toString('hex')}.tar`);
  await writeIndexArchive(index, index.tags, archive);
  try {
    await containerd.ctr(['images', 'import', '--all-platforms', '--no-unpack', archive]);
  } finally {
    await rm(archive, { force: true });
  }
}

/** Pushes the index and every platform's manifest to the registry as `repo:tag`. */
export async function pushIndex(
  registry: Pick<Registry, 'host' | 'dir'>,
  index: BuiltIndex,
  repo: string,
  tag: string,
): Promise<string> {
  const archive = join(registry.dir, `push-${randomBytes(6).toString('hex')}.tar`);
  const reference = `${registry.host}/${repo}:${tag}`;
  await writeIndexArchive(index, [], archive);
  try {
    await run('skopeo', [
      '--insecure-policy',
      'copy',
      '--all',
      '--quiet',
      '--preserve-digests',
      '--dest-tls-verify=false',
      `oci-archive:${archive}`,
      `docker://${reference}`,
    ]);
  } finally {
    await rm(archive, { force: true });
  }
  return reference;
}
