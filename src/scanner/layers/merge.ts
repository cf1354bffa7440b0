import { ScanError } from '../errors.js';
import type { LayerContent, LayerLink } from './layer-content.js';
import { byKey, pathKey, type PathKey } from './path-hashes.js';
import { ancestorsOf } from './paths.js';

/** A kept file as the final image shows it, with the layer that wrote that version. */
export interface MergedFile {
  readonly path: string;
  readonly data: Buffer;
  readonly layer: string;
}

interface MergedLink extends LayerLink {
  readonly layer: string;
  /** The layer's position in the image, bottom 0. */
  readonly index: number;
}

/** One layer's own copy of a path, for telling in which layer a package first appeared. */
export interface LayerCopy {
  readonly layer: string;
  /** The layer's position in the image, bottom 0: digests repeat (empty layers, reuse). */
  readonly index: number;
  readonly data: Buffer;
}

/**
 * The image's file tree as the analysers see it: the kept files and links of every layer, upper
 * layers winning, deletions and replacements applied, symlinks followed on lookup.
 */
export class MergedFs {
  constructor(
    private readonly files: ReadonlyMap<string, MergedFile>,
    private readonly links: ReadonlyMap<string, MergedLink>,
    private readonly copies: ReadonlyMap<string, readonly LayerCopy[]>,
    private readonly layers: readonly LayerContent[],
    private readonly maxHops: number,
  ) {}

  /** Reads a file through any symlinks; undefined when it does not exist or was not kept. */
  read(path: string): MergedFile | undefined {
    return this.files.get(this.resolve(path));
  }

  /** Every kept file whose path (as stored, not through links) passes the test, sorted. */
  list(test: (path: string) => boolean): MergedFile[] {
    const found = [...this.files.values()].filter((file) => test(file.path));
    return found.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  /**
   * The copies of a real path that layers wrote, bottom layer first, the visible one last. A
   * copy some layer above it deleted (whiteout, opaque folder, a non-folder replacing a folder
   * above it) and every copy below such a deletion are left out: the path began anew there.
   */
  history(path: string): LayerCopy[] {
    return [...(this.copies.get(path) ?? [])].reverse();
  }

  /**
   * Follows symlinks in every component, like the kernel does inside a chroot: `..` stops at the
   * root and absolute targets start from the image root. Throws on loops and overly long chains.
   */
  resolve(path: string): string {
    const pending = path.split('/').filter((part) => part !== '' && part !== '.');
    const resolved: string[] = [];
    let hops = 0;
    while (pending.length > 0) {
      const part = pending.shift() ?? '';
      if (part === '..') {
        resolved.pop();
        continue;
      }
      const link = this.link([...resolved, part].join('/'));
      if (link === undefined) {
        resolved.push(part);
        continue;
      }
      hops += 1;
      if (hops > this.maxHops) throw symlinkError(path, this.maxHops);
      if (link.hard || link.target.startsWith('/')) resolved.length = 0;
      pending.unshift(...link.target.split('/').filter((p) => p !== '' && p !== '.'));
    }
    return resolved.join('/');
  }

  /**
   * The link at a path, unless a layer above it replaced it with an entry it only hashed. That
   * is asked here, per lookup, rather than for every link while merging: images hold tens of
   * thousands of links and lookups pass few of them.
   */
  private link(path: string): MergedLink | undefined {
    const link = this.links.get(path);
    if (link === undefined) return undefined;
    const own = pathKey(path);
    const above = ancestorsOf(path)
      .filter((dir) => dir !== '')
      .map(pathKey);
    for (const layer of this.layers.slice(link.index + 1)) {
      if (layer.dirs.has(own) || layer.otherFiles.has(own)) return undefined;
      if (above.some((key) => layer.otherFiles.has(key))) return undefined;
    }
    return link;
  }
}

function symlinkError(path: string, maxHops: number): ScanError {
  const message = `resolving ${path} follows more than ${maxHops} links (a symlink loop?)`;
  return new ScanError('SCAN_SYMLINK', message, { path, maxHops });
}

/**
 * Merges layers top-down, as a runtime applies them bottom-up (OCI layer changesets): a path is
 * taken from the highest layer that has it, unless a layer above deleted it. A layer deletes
 * from those below it: whiteouts (the path and its tree), opaque markers (a folder's tree), any
 * non-folder entry (the folder tree at its path: a file or link over a folder replaces it) and
 * any folder entry (a file or link at its path; a folder there merges). A path the layer has
 * but did not keep (too large, past a limit) deletes the same way: present but unreadable, it
 * yields nothing rather than an older copy.
 */
export function mergeLayers(layers: readonly LayerContent[], maxHops: number): MergedFs {
  const merge = new Merge(candidatesOf(layers));
  for (let index = layers.length - 1; index >= 0; index -= 1) {
    const layer = layers[index];
    if (layer !== undefined) merge.apply(layer, index);
  }
  return new MergedFs(merge.files, merge.links, merge.copies, layers, maxHops);
}

/** A path a layer's hashed entries can delete, with the lowest layer that needs it. */
interface Candidate {
  readonly path: string;
  readonly key: PathKey;
  readonly layer: number;
}

/**
 * The paths a layer's hashed entries can delete while merging: every kept file and the folders
 * above it, sorted by hash. Hashed once per image; empty when no layer recorded hashes. Links
 * are judged on lookup instead (MergedFs.link).
 */
function candidatesOf(layers: readonly LayerContent[]): Candidate[] {
  const found = new Map<string, Candidate>();
  if (layers.every((layer) => layer.otherFiles.size === 0 && layer.dirs.size === 0)) return [];

  layers.forEach((layer, index) => {
    for (const path of layer.files.keys()) {
      for (const candidate of [path, ...ancestorsOf(path)]) {
        if (candidate === '' || found.has(candidate)) continue;
        found.set(candidate, { path: candidate, key: pathKey(candidate), layer: index });
      }
    }
  });
  return [...found.values()].sort(byKey);
}

/** The merge's state between layers, from the top down. */
class Merge {
  readonly files = new Map<string, MergedFile>();
  readonly links = new Map<string, MergedLink>();
  /** Each path's copies that no deletion above cuts off, top first. */
  readonly copies = new Map<string, LayerCopy[]>();
  /** Paths deleted for the layers below: their entries there are gone. */
  private readonly gone = new Set<string>();
  /** Paths whose trees are deleted for the layers below (the path itself may stay). */
  private readonly cut = new Set<string>();

  constructor(private readonly candidates: readonly Candidate[]) {}

  apply(layer: LayerContent, index: number): void {
    for (const [path, data] of layer.files) this.addFile(path, data, layer.digest, index);
    for (const [path, link] of layer.links) {
      if (!this.deleted(path) && !this.copies.has(path)) {
        this.links.set(path, { ...link, layer: layer.digest, index });
      }
    }
    this.deleteBelow(layer, index);
  }

  private addFile(path: string, data: Buffer, layer: string, index: number): void {
    if (this.deleted(path)) return;
    const copy = { layer, index, data };
    const copies = this.copies.get(path);
    if (copies !== undefined) {
      copies.push(copy);
      return;
    }
    this.copies.set(path, [copy]);
    this.files.set(path, { path, data, layer });
  }

  private deleted(path: string): boolean {
    return this.gone.has(path) || ancestorsOf(path).some((dir) => this.cut.has(dir));
  }

  /** Records what this layer deletes from the layers below it, whatever it shows itself. */
  private deleteBelow(layer: LayerContent, index: number): void {
    // A lower copy of a kept file stays in its history: the file was rewritten, not deleted.
    for (const path of layer.files.keys()) this.cut.add(path);
    for (const path of [...layer.links.keys(), ...layer.whiteouts, ...layer.unreadable]) {
      this.gone.add(path);
      this.cut.add(path);
    }
    for (const dir of layer.opaqueDirs) this.cut.add(dir);
    if (layer.otherFiles.size === 0 && layer.dirs.size === 0) return;

    // Only paths some lower layer has can be deleted by this one.
    const below = (candidate: Candidate): boolean => candidate.layer < index;
    for (const { path } of layer.otherFiles.matching(this.candidates).filter(below)) {
      this.gone.add(path);
      this.cut.add(path);
    }
    for (const { path } of layer.dirs.matching(this.candidates).filter(below)) this.gone.add(path);
  }
}
