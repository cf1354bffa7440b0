import { formatReference, parseReference } from '../../images/reference.js';
import { ImageSourceError } from './errors.js';

/** The normalised form of a reference (`alpine:3` → `docker.io/library/alpine:3`), if it is one. */
function normalised(text: string): string | undefined {
  try {
    return formatReference(parseReference(text));
  } catch {
    return undefined;
  }
}

/**
 * Whether `ref` names an image known by `names` with content `digest`: the same text, the same
 * reference once normalised, the digest itself or a digest reference to it.
 */
export function refMatches(ref: string, names: readonly string[], digest: string): boolean {
  if (ref === digest || ref.endsWith(`@${digest}`)) return true;
  if (names.includes(ref)) return true;
  const wanted = normalised(ref);
  return wanted !== undefined && names.some((name) => normalised(name) === wanted);
}

/** Shows at most a few names in a message. */
export function someNames(names: readonly string[], max = 10): string {
  if (names.length === 0) return 'none';
  const shown = names.slice(0, max).join(', ');
  return names.length > max ? `${shown} and ${names.length - max} more` : shown;
}

interface Named {
  readonly name: string;
  readonly names: readonly string[];
  readonly digest: string;
}

/**
 * The one entry `ref` names, or, with no ref, the only entry. `where` names the layout or
 * archive in errors, which list what is there.
 */
export function pickEntry<T extends Named>(
  entries: readonly T[],
  ref: string | undefined,
  where: string,
): T {
  const matches =
    ref === undefined ? entries : entries.filter((e) => refMatches(ref, e.names, e.digest));
  const [only, ...others] = matches;
  const available = someNames(entries.map((e) => e.name));
  if (only === undefined) {
    const what = ref === undefined ? 'has no images' : `has no image ${ref}`;
    throw new ImageSourceError('SOURCE_NOT_FOUND', `${where} ${what} (images: ${available})`, {
      ...(ref === undefined ? {} : { image: ref }),
      where,
    });
  }
  if (others.length > 0) {
    const what = ref === undefined ? 'holds several images' : `has several images matching ${ref}`;
    throw new ImageSourceError('SOURCE_AMBIGUOUS', `${where} ${what}; name one of: ${available}`, {
      ...(ref === undefined ? {} : { image: ref }),
      where,
      count: matches.length,
    });
  }
  return only;
}
