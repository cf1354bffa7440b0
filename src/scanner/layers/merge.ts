import { ScanError } from '../errors.js';
import type { LayerContent, LayerLink } from './layer-content.js';
import { ancestorsOf } from './paths.js';

/** A kept file as the final image shows it, with the layer that wrote that version. */
export interface MergedFile {
  readonly path: string;
  readonly data: Buffer;
  readonly layer: string;
}

interface MergedLink extends LayerLink {
  readonly layer: string;
}

/** One layer's own copy of a path, for telling in which layer a package first appeared. */
export interface LayerCopy {
  readonly layer: string;
  readonly data: Buffer;
}

/**
 * The image's file tree as the analysers see it: the kept files and links of every layer, upper
 * layers winning, whiteouts and opaque folders applied, symlinks followed on lookup.
 */
export class MergedFs {
  constructor(
    private readonly files: ReadonlyMap<string, MergedFile>,
    private readonly links: ReadonlyMap<string, MergedLink>,
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

  /** The copies of a real path that each layer wrote, bottom layer first. */
  history(path: string): LayerCopy[] {
    const copies: LayerCopy[] = [];
    for (const layer of this.layers) {
      const data = layer.files.get(path);
      if (data !== undefined) copies.push({ layer: layer.digest, data });
    }
    return copies;
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
      const link = this.links.get([...resolved, part].join('/'));
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
}

function symlinkError(path: string, maxHops: number): ScanError {
  const message = `resolving ${path} follows more than ${maxHops} links (a symlink loop?)`;
  return new ScanError('SCAN_SYMLINK', message, { path, maxHops });
}

/**
 * Merges layers top-down: a path is taken from the highest layer that has it, unless a layer
 * above deleted it (whiteout), emptied a folder above it (opaque whiteout) or replaced a folder
 * above it with a link. A path the layer above has but did not keep (too large, past a limit)
 * hides it too: present but unreadable, it yields nothing rather than an older copy.
 */
export function mergeLayers(layers: readonly LayerContent[], maxHops: number): MergedFs {
  const files = new Map<string, MergedFile>();
  const links = new Map<string, MergedLink>();
  const hidden = new Set<string>();
  const opaque = new Set<string>();

  const visible = (path: string): boolean =>
    !files.has(path) &&
    !links.has(path) &&
    !hidden.has(path) &&
    ancestorsOf(path).every((dir) => !hidden.has(dir) && !opaque.has(dir) && !links.has(dir));

  for (const layer of [...layers].reverse()) {
    const layerFiles = [...layer.files].filter(([path]) => visible(path));
    const layerLinks = [...layer.links].filter(([path]) => visible(path));
    for (const [path, data] of layerFiles) files.set(path, { path, data, layer: layer.digest });
    for (const [path, link] of layerLinks) links.set(path, { ...link, layer: layer.digest });
    for (const path of layer.whiteouts) hidden.add(path);
    // A path this layer has but could not keep hides the lower copies as a whiteout would:
    // reporting the lower file would describe an image that does not exist.
    for (const path of layer.unreadable) hidden.add(path);
    for (const dir of layer.opaqueDirs) opaque.add(dir);
  }
  return new MergedFs(files, links, layers, maxHops);
}
