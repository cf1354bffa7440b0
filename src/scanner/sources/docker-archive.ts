/**
 * Images from a `docker save` tarball: `manifest.json` lists each image's config and layer
 * paths inside the tar. Members are read in place (no extraction) by byte range.
 */
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';

import { ImageSourceError } from './errors.js';
import { badManifest, parseJson } from './manifest.js';
import { pickEntry } from './names.js';
import type { SourceEntry, ImageSourceOptions } from './oci-layout.js';
import { configPlatform } from './resolve.js';
import {
  indexTar,
  linkTarget,
  memberName,
  openMember,
  type TarIndex,
  type TarMember,
} from './tar-index.js';
import {
  resolveSourceLimits,
  type Descriptor,
  type ResolvedImage,
  type SizedLayerSource,
  type SourceLimits,
} from './types.js';
import { isDigest, mismatchError, readAll, verifiedStream } from './verify.js';

const MANIFEST = 'manifest.json';
const LAYER_MEDIA_TYPE = 'application/vnd.docker.image.rootfs.diff.tar';
const HEX_NAME = /(?:^|\/)([a-f0-9]{64})(?:\.json|\.tar)?$/;

interface ArchiveEntry extends SourceEntry {
  readonly config: string;
  readonly layers: readonly string[];
}

/** The images of one `docker save` (or `skopeo copy docker-archive:`) tar file. */
export class DockerArchiveSource {
  private constructor(
    readonly file: string,
    readonly entries: readonly ArchiveEntry[],
    private readonly index: TarIndex,
    private readonly limits: SourceLimits,
  ) {}

  /** Indexes the tar (one sequential pass) and parses its manifest.json. */
  static async open(file: string, options: ImageSourceOptions = {}): Promise<DockerArchiveSource> {
    const limits = resolveSourceLimits(options.limits);
    const capture = new Map([[MANIFEST, limits.maxMetadataBytes]]);
    const index = await indexTar(file, { maxEntries: limits.maxArchiveEntries, capture });
    const manifest = index.captured.get(MANIFEST);
    if (manifest === undefined) {
      throw new ImageSourceError(
        'SOURCE_UNREADABLE',
        `archive ${file} is not a docker archive: it has no ${MANIFEST}`,
        { archive: file },
      );
    }
    return new DockerArchiveSource(
      file,
      parseArchiveManifest(manifest, file, limits),
      index,
      limits,
    );
  }

  /** The image `ref` names (a RepoTag, the image ID), or the only one. */
  find(ref?: string): SourceEntry {
    return pickEntry(this.entries, ref, `docker archive ${this.file}`);
  }

  /** Every path is checked (inside the archive, a file) before any member is read. */
  async resolve(entry: SourceEntry, name: string = entry.name): Promise<ResolvedImage> {
    const found = this.entries.find((e) => e.digest === entry.digest);
    if (found === undefined) {
      const message = `docker archive ${this.file} has no image ${entry.digest}`;
      throw new ImageSourceError('SOURCE_NOT_FOUND', message, { image: entry.name });
    }
    const configMember = this.member(found.config, name, 'config');
    const layerMembers = found.layers.map((path) => this.member(path, name, 'layer'));

    const config = await this.readConfig(configMember, found, name);
    const id = `sha256:${createHash('sha256').update(config).digest('hex')}`;
    const diffIds = configDiffIds(config, found, name, this.file);
    const platform = configPlatform(config, { mediaType: '', digest: id, size: 0 }, name);
    return {
      name,
      config,
      layers: layerMembers.map((member, i) => this.layerSource(member, diffIds[i], name)),
      source: 'docker-archive',
      id,
      ...(platform === undefined ? {} : { platform }),
      names: found.names,
    };
  }

  /** The config, checked against the digest its file name carries (`<hex>.json`). */
  private async readConfig(member: TarMember, entry: ArchiveEntry, image: string) {
    const { maxConfigBytes } = this.limits;
    if (member.size > maxConfigBytes) {
      throw new ImageSourceError(
        'SOURCE_TOO_LARGE',
        `config ${entry.config} of image ${image} is ${member.size} bytes, ` +
          `more than the limit of ${maxConfigBytes}`,
        { image, archive: this.file, path: entry.config, limit: maxConfigBytes },
      );
    }
    if (!isDigest(entry.digest)) return readAll(openMember(this.file, member));

    const descriptor = { mediaType: 'application/json', digest: entry.digest, size: member.size };
    const fail = mismatchError('config', descriptor, image, `docker archive ${this.file}`);
    return readAll(verifiedStream(openMember(this.file, member), descriptor, fail));
  }

  /**
   * Docker writes layers as plain tars, so a layer's digest is its diff ID: taken from the
   * `blobs/sha256/<hex>` path when it has one (Docker 25+), else from the config.
   */
  private layerSource(
    member: TarMember,
    diffId: string | undefined,
    image: string,
  ): SizedLayerSource {
    const hex = /^blobs\/sha256\/([a-f0-9]{64})$/.exec(member.name)?.[1];
    const digest = hex === undefined ? diffId : `sha256:${hex}`;
    if (digest === undefined) {
      const message = `layer ${member.name} of image ${image} has no diff ID in its config`;
      throw new ImageSourceError('SOURCE_BAD_MANIFEST', message, { image, path: member.name });
    }
    const descriptor: Descriptor = { mediaType: LAYER_MEDIA_TYPE, digest, size: member.size };
    const fail = mismatchError('layer', descriptor, image, `docker archive ${this.file}`);
    return {
      digest,
      mediaType: LAYER_MEDIA_TYPE,
      size: member.size,
      open: (): Readable => verifiedStream(openMember(this.file, member), descriptor, fail),
    };
  }

  /** The regular file `path` names, following links that stay inside the archive. */
  private member(path: string, image: string, role: string): TarMember {
    const context = { image, archive: this.file, path, role };
    let name = memberName(path);
    if (name === undefined || path.startsWith('/') || path.includes('\\')) {
      const message = `${role} path ${JSON.stringify(path)} of image ${image} leaves the archive`;
      throw new ImageSourceError('SOURCE_UNSAFE_PATH', message, context);
    }

    for (let hops = 0; hops <= this.limits.maxLinkHops; hops++) {
      const member = this.index.members.get(name);
      if (member === undefined) {
        const message = `${role} ${path} of image ${image} is missing from archive ${this.file}`;
        throw new ImageSourceError('SOURCE_BLOB_MISSING', message, context);
      }
      if (member.type === 'file') return member;
      if (member.type !== 'symlink' && member.type !== 'link') {
        const message = `${role} ${path} of image ${image} is a ${member.type}, not a file`;
        throw new ImageSourceError('SOURCE_UNREADABLE', message, context);
      }
      const target = linkTarget(member);
      if (target === undefined) {
        const link = String(member.linkname);
        const message = `${role} ${path} of image ${image} links to ${link}, outside the archive`;
        throw new ImageSourceError('SOURCE_UNSAFE_PATH', message, context);
      }
      name = target;
    }
    const message = `${role} ${path} of image ${image} passes ${this.limits.maxLinkHops} links`;
    throw new ImageSourceError('SOURCE_UNSAFE_PATH', message, context);
  }
}

function parseArchiveManifest(bytes: Buffer, file: string, limits: SourceLimits): ArchiveEntry[] {
  const where = `${MANIFEST} of docker archive ${file}`;
  const bad = badManifest(where, { archive: file });
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch {
    bad('not JSON');
  }
  if (!Array.isArray(value)) bad('not a JSON list');
  return (value as unknown[]).map((item, i) => archiveEntry(item, `[${i}]`, bad, limits));
}

function archiveEntry(
  item: unknown,
  path: string,
  bad: ReturnType<typeof badManifest>,
  limits: SourceLimits,
): ArchiveEntry {
  if (typeof item !== 'object' || item === null || Array.isArray(item))
    bad(`${path} is not an object`);
  const record = item as Record<string, unknown>;
  const config = record['Config'];
  if (typeof config !== 'string') bad(`${path}.Config is not a string`);

  const layers = stringList(record['Layers'], `${path}.Layers`, bad);
  if (layers.length > limits.maxLayers)
    bad.tooLarge(`${path}.Layers has ${layers.length} entries`, limits.maxLayers);
  const tags =
    record['RepoTags'] === null || record['RepoTags'] === undefined
      ? []
      : stringList(record['RepoTags'], `${path}.RepoTags`, bad);

  const hex = HEX_NAME.exec(config)?.[1];
  const digest = hex === undefined ? config : `sha256:${hex}`;
  return { name: tags[0] ?? digest, names: tags, digest, config: config, layers };
}

function stringList(value: unknown, path: string, bad: ReturnType<typeof badManifest>): string[] {
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) {
    bad(`${path} is not a list of strings`);
  }
  return value;
}

/** `rootfs.diff_ids`, one per layer of the manifest entry. */
function configDiffIds(config: Buffer, entry: ArchiveEntry, image: string, file: string): string[] {
  const where = `config ${entry.config} of image ${image} in docker archive ${file}`;
  const bad = badManifest(where, { image, archive: file, path: entry.config });
  const rootfs = parseJson(config, bad)['rootfs'];
  const diffIds = (rootfs as { diff_ids?: unknown } | undefined)?.diff_ids;
  if (!Array.isArray(diffIds) || !diffIds.every((d) => typeof d === 'string' && isDigest(d))) {
    bad('rootfs.diff_ids is not a list of digests');
  }
  const list = diffIds as string[];
  if (list.length !== entry.layers.length) {
    bad(`rootfs.diff_ids has ${list.length} entries for ${entry.layers.length} layers`);
  }
  return list;
}
