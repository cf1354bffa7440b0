/**
 * Builders for OCI images as blobs (layers, configs, manifests, indexes) and for OCI layout
 * folders and docker archives on disk. Used by tests and the benchmark; nothing here reads
 * outside data.
 */
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

import tar from 'tar-stream';

import { tarLayer, type TarEntry } from '../../testing/layers.js';
import { MEDIA_OCI_INDEX, MEDIA_OCI_MANIFEST } from '../manifest.js';
import type { Descriptor, Platform } from '../types.js';

export const MEDIA_CONFIG = 'application/vnd.oci.image.config.v1+json';
export const MEDIA_LAYER_GZIP = 'application/vnd.oci.image.layer.v1.tar+gzip';
export const MEDIA_LAYER_TAR = 'application/vnd.oci.image.layer.v1.tar';

export interface Blob {
  readonly descriptor: Descriptor;
  readonly bytes: Buffer;
}

export interface LayerBlob extends Blob {
  readonly diffId: string;
  /** The uncompressed tar (what `docker save` stores). */
  readonly tar: Buffer;
}

export interface FixtureImage {
  readonly config: Blob;
  readonly manifest: Blob;
  readonly layers: readonly LayerBlob[];
  /** Every blob of the image, config and manifest included. */
  readonly blobs: readonly Blob[];
}

export function sha256(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

export function blobOf(mediaType: string, bytes: Buffer): Blob {
  return { descriptor: { mediaType, digest: sha256(bytes), size: bytes.length }, bytes };
}

export function jsonBlob(mediaType: string, value: unknown): Blob {
  return blobOf(mediaType, Buffer.from(JSON.stringify(value)));
}

export async function layerBlob(entries: readonly TarEntry[], gzip = true): Promise<LayerBlob> {
  const plain = await tarLayer(entries);
  const bytes = gzip ? gzipSync(plain) : plain;
  const blob = blobOf(gzip ? MEDIA_LAYER_GZIP : MEDIA_LAYER_TAR, bytes);
  return { ...blob, diffId: sha256(plain), tar: plain };
}

export const AMD64: Platform = { os: 'linux', architecture: 'amd64' };

/** Config and manifest over ready layers; `platform` goes into the config. */
export function imageOf(layers: readonly LayerBlob[], platform: Platform = AMD64): FixtureImage {
  const config = jsonBlob(MEDIA_CONFIG, {
    architecture: platform.architecture,
    os: platform.os,
    ...(platform.variant === undefined ? {} : { variant: platform.variant }),
    config: { Env: ['PATH=/usr/bin:/bin'] },
    rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
  });
  const manifest = jsonBlob(MEDIA_OCI_MANIFEST, {
    schemaVersion: 2,
    mediaType: MEDIA_OCI_MANIFEST,
    config: config.descriptor,
    layers: layers.map((l) => l.descriptor),
  });
  return { config, manifest, layers, blobs: [...layers, config, manifest] };
}

export async function imageFromEntries(
  layers: readonly (readonly TarEntry[])[],
  platform?: Platform,
): Promise<FixtureImage> {
  return imageOf(await Promise.all(layers.map((entries) => layerBlob(entries))), platform);
}

/** An index entry: a manifest descriptor with its platform and names. */
export function indexEntry(
  blob: Blob,
  options: { platform?: Platform; names?: readonly string[] } = {},
): Descriptor[] {
  const base = {
    ...blob.descriptor,
    ...(options.platform === undefined ? {} : { platform: options.platform }),
  };
  const names = options.names ?? [];
  if (names.length === 0) return [base];
  return names.map((name) => ({
    ...base,
    annotations: { 'org.opencontainers.image.ref.name': name },
  }));
}

export function indexBlob(manifests: readonly Descriptor[]): Blob {
  return jsonBlob(MEDIA_OCI_INDEX, { schemaVersion: 2, mediaType: MEDIA_OCI_INDEX, manifests });
}

/** Writes an OCI layout folder: `oci-layout`, `index.json` and each blob once. */
export async function writeLayout(
  dir: string,
  blobs: readonly Blob[],
  manifests: readonly Descriptor[],
): Promise<void> {
  await mkdir(join(dir, 'blobs', 'sha256'), { recursive: true });
  await writeFile(join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  const index = { schemaVersion: 2, mediaType: MEDIA_OCI_INDEX, manifests };
  await writeFile(join(dir, 'index.json'), JSON.stringify(index));
  const written = new Set<string>();
  for (const blob of blobs) {
    if (written.has(blob.descriptor.digest)) continue;
    written.add(blob.descriptor.digest);
    await writeFile(blobPath(dir, blob.descriptor.digest), blob.bytes);
  }
}

export function blobPath(dir: string, digest: string): string {
  return join(dir, 'blobs', ...digest.split(':'));
}

export interface ArchiveMember {
  readonly name: string;
  readonly content?: Buffer | string;
  readonly type?: 'file' | 'symlink' | 'link' | 'directory';
  readonly linkname?: string;
}

/** A tar file of exactly these members, in this order. */
export async function tarOf(members: readonly ArchiveMember[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const done = (async () => {
    for await (const chunk of pack) chunks.push(Buffer.from(chunk as Uint8Array));
  })();
  for (const m of members) {
    const type = m.type ?? 'file';
    const header = {
      name: m.name,
      type,
      ...(m.linkname === undefined ? {} : { linkname: m.linkname }),
    };
    if (type === 'file') pack.entry(header, m.content ?? '');
    else pack.entry(header);
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

/**
 * The members of a legacy `docker save` archive of one image: `<id>.json` config, one folder
 * per layer with `layer.tar`, and manifest.json (last, as docker writes it).
 */
export function dockerSaveMembers(image: FixtureImage, tags: readonly string[]): ArchiveMember[] {
  const configName = `${image.config.descriptor.digest.slice(7)}.json`;
  const layerNames = image.layers.map((l) => `${l.diffId.slice(7, 23)}/layer.tar`);
  const manifest = [{ Config: configName, RepoTags: tags, Layers: layerNames }];
  return [
    { name: configName, content: image.config.bytes },
    ...image.layers.flatMap((l, i): ArchiveMember[] => [
      { name: `${l.diffId.slice(7, 23)}/`, type: 'directory' },
      { name: layerNames[i] ?? '', content: l.tar },
    ]),
    { name: 'manifest.json', content: JSON.stringify(manifest) },
  ];
}
