/**
 * Parses OCI and Docker v2 indexes and manifests (image-spec image-index.md, manifest.md;
 * Docker's manifest list and schema 2), keeping only what resolution needs and checking every
 * field it keeps: outside data is never trusted to have the right shape.
 */
import { errorMessage } from '../../errors.js';
import { ImageSourceError } from './errors.js';
import type { Descriptor, Platform, SourceLimits } from './types.js';
import { isDigest } from './verify.js';

export const MEDIA_OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
export const MEDIA_OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const MEDIA_DOCKER_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';
export const MEDIA_DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';

const INDEX_TYPES = new Set([MEDIA_OCI_INDEX, MEDIA_DOCKER_LIST]);
const MANIFEST_TYPES = new Set([MEDIA_OCI_MANIFEST, MEDIA_DOCKER_MANIFEST]);
const SCHEMA1 = /^application\/vnd\.docker\.distribution\.manifest\.v1\+(?:prettyjws|json)$/;

export interface ImageIndex {
  readonly kind: 'index';
  readonly manifests: readonly Descriptor[];
}

export interface ImageManifest {
  readonly kind: 'manifest';
  readonly config: Descriptor;
  readonly layers: readonly Descriptor[];
}

/**
 * Throws the error for one malformed field, e.g. `manifest sha256:… of image app:1: layers[2]
 * is not a JSON object`. `tooLarge` is the same for counts past a limit.
 */
export interface Bad {
  (problem: string): never;
  tooLarge(problem: string, limit: number): never;
}

export function badManifest(where: string, context: Record<string, unknown>): Bad {
  const bad = (problem: string): never => {
    throw new ImageSourceError('SOURCE_BAD_MANIFEST', `${where}: ${problem}`, context);
  };
  bad.tooLarge = (problem: string, limit: number): never => {
    const message = `${where}: ${problem}, more than the limit of ${limit}`;
    throw new ImageSourceError('SOURCE_TOO_LARGE', message, { ...context, limit });
  };
  return bad;
}

export function parseJson(bytes: Buffer, bad: Bad): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch (err: unknown) {
    bad(`not JSON (${errorMessage(err)})`);
  }
  return objectAt(value, 'the document', bad);
}

function objectAt(value: unknown, path: string, bad: Bad): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    bad(`${path} is not a JSON object`);
  }
  return value as Record<string, unknown>;
}

function stringAt(value: unknown, path: string, bad: Bad): string {
  if (typeof value !== 'string') bad(`${path} is not a string`);
  return value;
}

function optionalString(value: unknown, path: string, bad: Bad): string | undefined {
  return value === undefined ? undefined : stringAt(value, path, bad);
}

function stringMap(value: unknown, path: string, bad: Bad): Record<string, string> | undefined {
  if (value === undefined || value === null) return undefined;
  const object = objectAt(value, path, bad);
  for (const [key, entry] of Object.entries(object)) stringAt(entry, `${path}.${key}`, bad);
  return object as Record<string, string>;
}

function platformAt(value: unknown, path: string, bad: Bad): Platform | undefined {
  if (value === undefined || value === null) return undefined;
  const object = objectAt(value, path, bad);
  const os = stringAt(object['os'], `${path}.os`, bad);
  const architecture = stringAt(object['architecture'], `${path}.architecture`, bad);
  const variant = optionalString(object['variant'], `${path}.variant`, bad);
  return variant === undefined || variant === ''
    ? { os, architecture }
    : { os, architecture, variant };
}

/** A descriptor with a registered digest, a safe whole size and string annotations. */
export function descriptorAt(value: unknown, path: string, bad: Bad): Descriptor {
  const object = objectAt(value, path, bad);
  const mediaType = stringAt(object['mediaType'], `${path}.mediaType`, bad);
  const digest = stringAt(object['digest'], `${path}.digest`, bad);
  if (!isDigest(digest))
    bad(`${path}.digest ${JSON.stringify(digest)} is not a sha256/sha512 digest`);

  const size = object['size'];
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
    bad(`${path}.size is not a whole number of bytes`);
  }
  const annotations = stringMap(object['annotations'], `${path}.annotations`, bad);
  const platform = platformAt(object['platform'], `${path}.platform`, bad);
  return {
    mediaType,
    digest,
    size: size,
    ...(annotations === undefined ? {} : { annotations }),
    ...(platform === undefined ? {} : { platform }),
  };
}

function descriptorList(value: unknown, path: string, max: number, bad: Bad): Descriptor[] {
  if (!Array.isArray(value)) bad(`${path} is not a list`);
  const list = value as unknown[];
  if (list.length > max) bad.tooLarge(`${path} has ${list.length} entries`, max);
  return list.map((entry, i) => descriptorAt(entry, `${path}[${i}]`, bad));
}

/** Which document a blob is: its descriptor's media type first, then the document's own. */
function kindOf(
  mediaType: string,
  document: Record<string, unknown>,
  bad: Bad,
): 'index' | 'manifest' {
  const declared = optionalString(document['mediaType'], 'mediaType', bad);
  for (const type of [mediaType, declared ?? '']) {
    if (SCHEMA1.test(type)) {
      throw new ImageSourceError(
        'SOURCE_UNSUPPORTED',
        'Docker schema 1 manifests are not supported',
        {
          mediaType: type,
        },
      );
    }
  }

  const kinds = [mediaType, declared].flatMap((type) =>
    type === undefined
      ? []
      : INDEX_TYPES.has(type)
        ? ['index']
        : MANIFEST_TYPES.has(type)
          ? ['manifest']
          : [],
  );
  if (kinds.length === 2 && kinds[0] !== kinds[1]) bad(`its descriptor and its mediaType disagree`);
  const kind =
    kinds[0] ?? ('manifests' in document ? 'index' : 'layers' in document ? 'manifest' : undefined);
  if (kind === undefined)
    bad(`media type ${JSON.stringify(mediaType)} is neither an index nor a manifest`);
  return kind as 'index' | 'manifest';
}

/** Parses an index or manifest blob; `mediaType` is what the pointing descriptor said. */
export function parseManifestDocument(
  bytes: Buffer,
  mediaType: string,
  limits: SourceLimits,
  bad: Bad,
): ImageIndex | ImageManifest {
  const document = parseJson(bytes, bad);
  const kind = kindOf(mediaType, document, bad);
  if (document['schemaVersion'] !== 2) bad('schemaVersion is not 2');

  if (kind === 'index') {
    const manifests = descriptorList(
      document['manifests'],
      'manifests',
      limits.maxIndexEntries,
      bad,
    );
    return { kind, manifests };
  }
  return {
    kind,
    config: descriptorAt(document['config'], 'config', bad),
    layers: descriptorList(document['layers'], 'layers', limits.maxLayers, bad),
  };
}
