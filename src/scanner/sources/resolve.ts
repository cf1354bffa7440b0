import { ImageSourceError } from './errors.js';
import {
  badManifest,
  MEDIA_DOCKER_LIST,
  MEDIA_OCI_INDEX,
  parseJson,
  parseManifestDocument,
  type ImageIndex,
  type ImageManifest,
} from './manifest.js';
import { bestPlatformIndex, formatPlatform, normalizePlatform } from './platform.js';
import type {
  BlobStore,
  Descriptor,
  Platform,
  ResolvedImage,
  SizedLayerSource,
  SourceKind,
  SourceLimits,
} from './types.js';
import { checkAnnouncedSize, type BlobRole } from './verify.js';

const CONFIG_TYPES = new Set([
  'application/vnd.oci.image.config.v1+json',
  'application/vnd.docker.container.image.v1+json',
]);

/** OCI layer types (plain, gzip, zstd, non-distributable) and Docker's rootfs diff types. */
const LAYER_TYPE =
  /^application\/vnd\.(?:oci\.image\.layer\.(?:nondistributable\.)?v1\.tar(?:\+gzip|\+zstd)?|docker\.image\.rootfs\.(?:foreign\.)?diff\.tar(?:\.gzip)?)$/;

export interface ResolveOptions {
  /** The platform to pick from an index: the node's unless the user chose another. */
  readonly platform: Platform;
  readonly limits: SourceLimits;
  readonly source: SourceKind;
  /** Other names of the image, for reports. */
  readonly names?: readonly string[];
}

interface FoundManifest {
  readonly manifest: ImageManifest;
  readonly descriptor: Descriptor;
}

/**
 * Follows `target` (an index or a manifest) to the manifest for the wanted platform, reads and
 * checks the config, and checks that every layer blob is present, so that a missing or foreign
 * layer fails here, naming it, before any layer is streamed.
 */
export async function resolveImage(
  store: BlobStore,
  target: Descriptor,
  name: string,
  options: ResolveOptions,
): Promise<ResolvedImage> {
  const { manifest, descriptor } = await findManifest(store, target, name, options);
  checkMediaTypes(manifest, name);

  const configBytes = await store.readBlob(
    manifest.config,
    'config',
    options.limits.maxConfigBytes,
    name,
  );
  const platform = configPlatform(configBytes, manifest.config, name);
  await Promise.all(manifest.layers.map((layer) => store.checkBlob(layer, 'layer', name)));

  return {
    name,
    config: configBytes,
    layers: manifest.layers.map((layer) => layerSource(store, layer, name)),
    source: options.source,
    id: manifest.config.digest,
    manifestDigest: descriptor.digest,
    targetDigest: target.digest,
    ...(platform === undefined ? {} : { platform }),
    names: options.names ?? [],
  };
}

function layerSource(store: BlobStore, layer: Descriptor, image: string): SizedLayerSource {
  return {
    digest: layer.digest,
    mediaType: layer.mediaType,
    size: layer.size,
    open: () => store.openBlob(layer, 'layer', image),
  };
}

async function findManifest(
  store: BlobStore,
  target: Descriptor,
  name: string,
  options: ResolveOptions,
): Promise<FoundManifest> {
  const { limits } = options;
  let descriptor = target;
  for (let depth = 0; depth <= limits.maxNesting; depth++) {
    const role = roleOf(descriptor);
    checkAnnouncedSize(role, descriptor, limits.maxManifestBytes, name);
    const bytes = await store.readBlob(descriptor, role, limits.maxManifestBytes, name);
    const where = `${role} ${descriptor.digest} of image ${name}`;
    const bad = badManifest(where, { image: name, digest: descriptor.digest, role });
    const document = parseManifestDocument(bytes, descriptor.mediaType, limits, bad);
    if (document.kind === 'manifest') return { manifest: document, descriptor };

    descriptor = pickManifest(document, descriptor, name, options.platform);
  }
  throw new ImageSourceError(
    'SOURCE_TOO_LARGE',
    `image ${name} nests indexes more than ${limits.maxNesting} deep`,
    { image: name, target: target.digest, limit: limits.maxNesting },
  );
}

function roleOf(descriptor: Descriptor): BlobRole {
  const index =
    descriptor.mediaType === MEDIA_OCI_INDEX || descriptor.mediaType === MEDIA_DOCKER_LIST;
  return index ? 'index' : 'manifest';
}

function pickManifest(
  index: ImageIndex,
  indexDescriptor: Descriptor,
  name: string,
  want: Platform,
): Descriptor {
  const chosen = bestPlatformIndex(
    want,
    index.manifests.map((entry) => entry.platform),
  );
  const entry = chosen === undefined ? undefined : index.manifests[chosen];
  if (entry !== undefined) return entry;

  const offered = index.manifests.flatMap((m) =>
    m.platform === undefined ? [] : [formatPlatform(normalizePlatform(m.platform))],
  );
  throw new ImageSourceError(
    'SOURCE_NO_PLATFORM',
    `image ${name} has no manifest for ${formatPlatform(want)}; index ${indexDescriptor.digest} ` +
      `offers ${offered.length === 0 ? 'none' : [...new Set(offered)].join(', ')}`,
    { image: name, index: indexDescriptor.digest, platform: formatPlatform(want), offered },
  );
}

function checkMediaTypes(manifest: ImageManifest, name: string): void {
  const { config } = manifest;
  if (!CONFIG_TYPES.has(config.mediaType)) {
    throw new ImageSourceError(
      'SOURCE_UNSUPPORTED',
      `image ${name} is not a container image: its config has media type ${config.mediaType}`,
      { image: name, mediaType: config.mediaType },
    );
  }

  for (const layer of manifest.layers) {
    if (LAYER_TYPE.test(layer.mediaType)) continue;
    const encrypted = layer.mediaType.endsWith('+encrypted');
    throw new ImageSourceError(
      'SOURCE_UNSUPPORTED',
      `layer ${layer.digest} of image ${name} has media type ${layer.mediaType}` +
        (encrypted ? ': encrypted layers cannot be inventoried' : ', which is not a layer'),
      { image: name, layer: layer.digest, mediaType: layer.mediaType },
    );
  }
}

/** `os/architecture[/variant]` from a config blob, when it says; fails when it is not JSON. */
export function configPlatform(
  bytes: Buffer,
  descriptor: Descriptor,
  name: string,
): string | undefined {
  const where = `config ${descriptor.digest} of image ${name}`;
  const config = parseJson(bytes, badManifest(where, { image: name, digest: descriptor.digest }));
  const { os, architecture, variant } = config;
  if (typeof os !== 'string' || typeof architecture !== 'string') return undefined;
  const platform =
    typeof variant === 'string' && variant !== ''
      ? { os, architecture, variant }
      : { os, architecture };
  return formatPlatform(normalizePlatform(platform));
}
