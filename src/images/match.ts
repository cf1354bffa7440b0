/**
 * Whether a parsed reference names an image the runtime reported. Runtimes may report tags and
 * digests fully qualified (containerd) or in familiar form, and IDs with or without `sha256:`
 * (CRI-O), so both sides are normalised before they are compared.
 */
import type { RuntimeImage } from '../runtime/types.js';
import { AmbiguousImageError, InvalidReferenceError } from './errors.js';
import { parseReference, type NamedReference, type ParsedReference } from './reference.js';

export { AmbiguousImageError } from './errors.js';

/**
 * How an entry matched. `tag` and `digest` are the image's own `repoTags`/`repoDigests`
 * strings, exactly as the runtime reported them.
 */
export type MatchResult =
  | { readonly by: 'tag'; readonly tag: string }
  | { readonly by: 'digest'; readonly digest: string }
  | { readonly by: 'id' };

export interface ImageMatch {
  readonly image: RuntimeImage;
  readonly match: MatchResult;
}

/** All images an entry names, or the refusal to pick when a short ID names several. */
export type FindResult =
  | { readonly ambiguous: false; readonly matches: readonly ImageMatch[] }
  | {
      readonly ambiguous: true;
      readonly error: AmbiguousImageError;
      readonly candidates: readonly RuntimeImage[];
    };

/** A runtime string next to its parsed form. */
export interface NormalisedEntry {
  readonly raw: string;
  readonly ref: NamedReference;
}

/** An image with its ID, tags and digests normalised once, for repeated matching. */
export interface NormalisedImage {
  /** `sha256:<hex>` even when the runtime reported bare hex. */
  readonly id: string;
  readonly tags: readonly NormalisedEntry[];
  readonly digests: readonly NormalisedEntry[];
}

const cache = new WeakMap<RuntimeImage, NormalisedImage>();

/**
 * Normalises an image's strings; entries that do not parse as named references (runtime
 * oddities such as `<none>:<none>`) are left out, as they cannot equal any valid reference.
 */
export function normaliseImage(image: RuntimeImage): NormalisedImage {
  const cached = cache.get(image);
  if (cached !== undefined) return cached;

  const normalised: NormalisedImage = {
    id: normaliseId(image.id),
    tags: image.repoTags.flatMap(toEntry),
    digests: image.repoDigests.flatMap(toEntry),
  };
  cache.set(image, normalised);
  return normalised;
}

/**
 * Whether `entry` names `image`, and how. A name with a digest matches by digest only (tag
 * ignored, as runtimes resolve `name:tag@digest`); a name with a tag matches an equal tag; an
 * ID matches the image ID. An ID prefix matches any ID starting with it: use
 * {@link findImages}, which refuses ambiguous prefixes, for user input.
 */
export function matchImage(entry: ParsedReference, image: RuntimeImage): MatchResult | undefined {
  const normalised = normaliseImage(image);

  switch (entry.kind) {
    case 'id':
      return normalised.id === entry.id ? { by: 'id' } : undefined;
    case 'id-prefix':
      return hexOf(normalised.id).startsWith(entry.prefix) ? { by: 'id' } : undefined;
    case 'name':
      return matchName(entry, normalised);
  }
}

/**
 * Every image `entry` names. A short ID that matches more than one image is reported as
 * ambiguous instead of matching any of them.
 */
export function findImages(entry: ParsedReference, images: readonly RuntimeImage[]): FindResult {
  const matches: ImageMatch[] = [];
  for (const image of images) {
    const match = matchImage(entry, image);
    if (match !== undefined) matches.push({ image, match });
  }

  if (entry.kind === 'id-prefix' && new Set(matches.map((m) => m.image.id)).size > 1) {
    const candidates = matches.map((m) => m.image);
    const error = new AmbiguousImageError(
      entry.prefix,
      candidates.map((c) => c.id),
    );
    return { ambiguous: true, error, candidates };
  }
  return { ambiguous: false, matches };
}

function matchName(entry: NamedReference, image: NormalisedImage): MatchResult | undefined {
  if (entry.digest !== undefined) {
    const hit = image.digests.find(
      (d) => d.ref.name === entry.name && d.ref.digest === entry.digest,
    );
    return hit === undefined ? undefined : { by: 'digest', digest: hit.raw };
  }

  const hit = image.tags.find((t) => t.ref.name === entry.name && t.ref.tag === entry.tag);
  return hit === undefined ? undefined : { by: 'tag', tag: hit.raw };
}

function toEntry(raw: string): NormalisedEntry[] {
  try {
    const ref = parseReference(raw);
    return ref.kind === 'name' ? [{ raw, ref }] : [];
  } catch (err: unknown) {
    if (err instanceof InvalidReferenceError) return [];
    throw err;
  }
}

/** `sha256:<hex>` for bare 64-hex IDs; anything else unchanged. */
export function normaliseId(id: string): string {
  return /^[a-f0-9]{64}$/.test(id) ? `sha256:${id}` : id;
}

function hexOf(id: string): string {
  const colon = id.indexOf(':');
  return colon < 0 ? id : id.slice(colon + 1);
}
