/**
 * Path handling for layer entries. Every path is kept relative to the image root, without a
 * leading `/` or `./`, so that `./etc/os-release` and `/etc/os-release` name the same file.
 */

const WHITEOUT_PREFIX = '.wh.';
const OPAQUE_MARKER = '.wh..wh..opq';

/**
 * Normalises a tar entry name. Returns undefined for names that climb out of the root with `..`:
 * a layer never needs them, and following them would let a layer write outside the image.
 */
export function normaliseEntryPath(raw: string): string | undefined {
  const parts: string[] = [];
  for (const part of raw.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') return undefined;
    parts.push(part);
  }
  return parts.join('/');
}

export function parentOf(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash < 0 ? '' : path.slice(0, slash);
}

export function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/** Every proper ancestor folder of a path, nearest first, ending with the root ''. */
export function ancestorsOf(path: string): string[] {
  const out: string[] = [];
  let current = path;
  while (current !== '') {
    current = parentOf(current);
    out.push(current);
  }
  return out;
}

export type WhiteoutKind =
  | { readonly kind: 'whiteout'; readonly hidden: string }
  | { readonly kind: 'opaque'; readonly dir: string }
  | { readonly kind: 'none' };

/** Reads the overlay whiteout convention from a normalised path. */
export function whiteoutOf(path: string): WhiteoutKind {
  const name = baseName(path);
  if (!name.startsWith(WHITEOUT_PREFIX)) return { kind: 'none' };

  const dir = parentOf(path);
  if (name === OPAQUE_MARKER) return { kind: 'opaque', dir };

  const hiddenName = name.slice(WHITEOUT_PREFIX.length);
  // Other `.wh..wh.` names are aufs bookkeeping (hard-link dirs), not deletions.
  if (hiddenName === '' || hiddenName.startsWith(WHITEOUT_PREFIX)) return { kind: 'none' };
  return { kind: 'whiteout', hidden: dir === '' ? hiddenName : `${dir}/${hiddenName}` };
}
