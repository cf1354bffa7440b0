/**
 * Images from an OCI image layout folder (image-spec image-layout.md): `oci-layout`,
 * `index.json` and content-addressed `blobs/<algorithm>/<hex>`.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';

import { ImageSourceError } from './errors.js';
import { checkDirectory, errnoOf, readSmallFile, unreadable } from './files.js';
import { badManifest, MEDIA_OCI_INDEX, parseJson, parseManifestDocument } from './manifest.js';
import { pickEntry } from './names.js';
import { nodePlatform } from './platform.js';
import { resolveImage } from './resolve.js';
import {
  resolveSourceLimits,
  type BlobStore,
  type Descriptor,
  type Platform,
  type ResolvedImage,
  type SourceLimits,
} from './types.js';
import {
  checkAnnouncedSize,
  mismatchError,
  readAll,
  verifiedStream,
  type BlobRole,
} from './verify.js';

const REF_NAME = 'org.opencontainers.image.ref.name';
const CONTAINERD_NAME = 'io.containerd.image.name';
const MAX_LAYOUT_FILE_BYTES = 64 * 1024;

export interface ImageSourceOptions {
  /** Platform picked from multi-platform images; the node's own unless set. */
  readonly platform?: Platform;
  readonly limits?: Partial<SourceLimits>;
}

/** One image of a layout or archive, with every name it goes by. */
export interface SourceEntry {
  /** The name reports use: the first name, else the digest. */
  readonly name: string;
  readonly names: readonly string[];
  /** What the names point at: a manifest or index digest (a config digest in archives). */
  readonly digest: string;
}

interface LayoutEntry extends SourceEntry {
  readonly descriptor: Descriptor;
}

/** The images of one OCI layout folder. */
export class OciLayoutSource {
  private constructor(
    readonly dir: string,
    readonly entries: readonly LayoutEntry[],
    private readonly store: LayoutBlobStore,
    private readonly platform: Platform,
    private readonly limits: SourceLimits,
  ) {}

  /** Reads `oci-layout` and `index.json`; fails when the folder is not an OCI layout. */
  static async open(dir: string, options: ImageSourceOptions = {}): Promise<OciLayoutSource> {
    const limits = resolveSourceLimits(options.limits);
    await checkDirectory(dir, `OCI layout ${dir}`);
    await checkLayoutFile(dir);

    const where = `index.json of OCI layout ${dir}`;
    const bytes = await readSmallFile(join(dir, 'index.json'), limits.maxMetadataBytes, where);
    const bad = badManifest(where, { layout: dir });
    const index = parseManifestDocument(bytes, MEDIA_OCI_INDEX, limits, bad);
    const entries = index.kind === 'index' ? groupEntries(index.manifests) : bad('not an index');
    const platform = options.platform ?? nodePlatform();
    return new OciLayoutSource(dir, entries, new LayoutBlobStore(dir), platform, limits);
  }

  /** The image `ref` names (a ref name annotation, a full name or a digest), or the only one. */
  find(ref?: string): SourceEntry {
    return pickEntry(this.entries, ref, `OCI layout ${this.dir}`);
  }

  resolve(entry: SourceEntry, name: string = entry.name): Promise<ResolvedImage> {
    const found = this.entries.find((e) => e.digest === entry.digest);
    if (found === undefined) return Promise.reject(this.notHere(entry));
    return resolveImage(this.store, found.descriptor, name, {
      platform: this.platform,
      limits: this.limits,
      source: 'oci-layout',
      names: found.names,
    });
  }

  private notHere(entry: SourceEntry): ImageSourceError {
    const message = `OCI layout ${this.dir} has no image ${entry.digest}`;
    return new ImageSourceError('SOURCE_NOT_FOUND', message, { image: entry.name });
  }
}

async function checkLayoutFile(dir: string): Promise<void> {
  const where = `oci-layout file of ${dir}`;
  let bytes: Buffer;
  try {
    bytes = await readSmallFile(join(dir, 'oci-layout'), MAX_LAYOUT_FILE_BYTES, where);
  } catch (err: unknown) {
    if (!(err instanceof ImageSourceError) || err.code !== 'SOURCE_UNREADABLE') throw err;
    throw new ImageSourceError(
      'SOURCE_UNREADABLE',
      `${dir} is not an OCI image layout: ${err.message}`,
      { layout: dir },
      { cause: err },
    );
  }
  const layout = parseJson(bytes, badManifest(where, { layout: dir }));
  if (typeof layout['imageLayoutVersion'] !== 'string') {
    badManifest(where, { layout: dir })('imageLayoutVersion is not a string');
  }
}

/**
 * A ref name may be a bare tag (`1.0`) as well as a full reference, so it is not parsed; but
 * neither form holds anything outside printable ASCII, and a name with control characters or
 * spaces is only a way to smuggle text into reports. Such names are ignored (the digest names
 * the entry instead).
 */
function isPlausibleName(name: string): boolean {
  return /^[\x21-\x7e]{1,1024}$/.test(name);
}

/** One entry per target: index.json may list the same manifest once per name. */
function groupEntries(manifests: readonly Descriptor[]): LayoutEntry[] {
  const byDigest = new Map<string, { descriptor: Descriptor; names: Set<string> }>();
  for (const descriptor of manifests) {
    const group = byDigest.get(descriptor.digest) ?? { descriptor, names: new Set<string>() };
    for (const key of [CONTAINERD_NAME, REF_NAME]) {
      const name = descriptor.annotations?.[key];
      if (name !== undefined && isPlausibleName(name)) group.names.add(name);
    }
    byDigest.set(descriptor.digest, group);
  }
  return [...byDigest.values()].map(({ descriptor, names }) => ({
    name: [...names][0] ?? descriptor.digest,
    names: [...names],
    digest: descriptor.digest,
    descriptor,
  }));
}

/** Blobs of a layout folder; every read is checked against its descriptor. */
class LayoutBlobStore implements BlobStore {
  readonly location: string;

  constructor(private readonly dir: string) {
    this.location = `OCI layout ${dir}`;
  }

  /** The digest was checked to be `algorithm:hex` when parsed, so this stays in blobs/. */
  private pathOf(descriptor: Descriptor): string {
    const [algorithm = '', hex = ''] = descriptor.digest.split(':');
    return join(this.dir, 'blobs', algorithm, hex);
  }

  async readBlob(
    descriptor: Descriptor,
    role: BlobRole,
    maxBytes: number,
    image: string,
  ): Promise<Buffer> {
    checkAnnouncedSize(role, descriptor, maxBytes, image);
    await this.checkBlob(descriptor, role, image);
    return readAll(this.openBlob(descriptor, role, image));
  }

  async checkBlob(descriptor: Descriptor, role: BlobRole, image: string): Promise<void> {
    const path = this.pathOf(descriptor);
    const where = `${role} ${descriptor.digest} of image ${image}`;
    const context = { image, digest: descriptor.digest, role, path };
    let info;
    try {
      info = await stat(path);
    } catch (err: unknown) {
      if (errnoOf(err) !== 'ENOENT') throw unreadable(`${where} (${path})`, err, context);
      const message = `${where} is missing from ${this.location} (no ${path})`;
      throw new ImageSourceError('SOURCE_BLOB_MISSING', message, context, { cause: err });
    }

    if (!info.isFile()) {
      const message = `${where} in ${this.location} is not a regular file (${path})`;
      throw new ImageSourceError('SOURCE_UNREADABLE', message, context);
    }
    if (info.size !== descriptor.size) {
      const sizes = `${info.size} bytes on disk, not ${descriptor.size}`;
      throw mismatchError(
        role,
        descriptor,
        image,
        this.location,
      )(`is ${sizes} as its descriptor says`);
    }
  }

  openBlob(descriptor: Descriptor, role: BlobRole, image: string): Readable {
    // One byte past the size is enough for the verifier to see a blob that grew.
    const source = createReadStream(this.pathOf(descriptor), { end: descriptor.size });
    return verifiedStream(
      source,
      descriptor,
      mismatchError(role, descriptor, image, this.location),
    );
  }
}
