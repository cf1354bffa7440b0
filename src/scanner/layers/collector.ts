import type { Header } from 'tar-stream';
import { ScanError } from '../errors.js';
import type { ScanLimits } from '../limits.js';
import type { ScanWarning } from '../types.js';
import type { LayerLink } from './layer-content.js';
import { PathHashesBuilder } from './path-hashes.js';
import { normaliseEntryPath, whiteoutOf } from './paths.js';

/** Warnings kept per layer; a layer of a million bad names must not make a million warnings. */
const MAX_WARNINGS = 100;
/** Longest link target remembered; PATH_MAX on Linux. */
const MAX_LINK_TARGET = 4096;
/** Entry types that are neither folders, regular files nor links; each replaces a lower path. */
const SPECIAL_TYPES = new Set(['character-device', 'block-device', 'fifo']);

export type WantsFile = (path: string) => boolean;

/** The body of one tar entry (a streamx Readable from tar-stream). */
export interface EntryStream extends AsyncIterable<unknown> {
  resume(): unknown;
}

/** Collects, entry by entry, what one layer contributes (see LayerContent). */
export class LayerCollector {
  readonly files = new Map<string, Buffer>();
  readonly links = new Map<string, LayerLink>();
  readonly whiteouts: string[] = [];
  readonly opaqueDirs: string[] = [];
  /** Paths present in this layer but not kept; see LayerContent.unreadable. */
  readonly unreadable = new Set<string>();
  /**
   * Every other entry's path, hashed: unkept non-folders and folders. 8 bytes an entry, so
   * under 16 × maxEntries bytes while the array doubles as it grows, instead of a string each.
   * A later entry at the same path in this layer does not remove an earlier one's hash; the
   * merge then treats the path as both, hiding more, never less.
   */
  readonly otherFiles = new PathHashesBuilder();
  readonly dirs = new PathHashesBuilder();
  readonly warnings: ScanWarning[] = [];
  entries = 0;
  private keptBytes = 0;
  private suppressed = 0;
  private linksDropped = 0;

  constructor(
    private readonly layer: string,
    private readonly image: string,
    private readonly wants: WantsFile,
    private readonly limits: ScanLimits,
  ) {}

  async onEntry(header: Header, stream: EntryStream): Promise<void> {
    this.entries += 1;
    if (this.entries > this.limits.maxEntries) {
      throw new ScanError(
        'SCAN_LIMIT',
        `layer ${this.layer} of image ${this.image} has over ${this.limits.maxEntries} entries`,
        { image: this.image, layer: this.layer, limit: this.limits.maxEntries },
      );
    }

    const path = normaliseEntryPath(header.name);
    if (path === undefined) {
      this.warn('SCAN_PATH_TRAVERSAL', `entry name climbs out of the root: ${header.name}`);
      stream.resume();
      return;
    }

    if (this.onWhiteout(path)) {
      stream.resume();
      return;
    }

    this.files.delete(path);
    this.links.delete(path);
    this.unreadable.delete(path);
    await this.onTyped(path, header, stream);
  }

  /** Final warnings, with a count of the ones dropped past the cap. */
  finalWarnings(): ScanWarning[] {
    if (this.suppressed === 0) return this.warnings;
    const message = `${this.suppressed} more warnings for this layer were dropped`;
    return [...this.warnings, { code: 'SCAN_WARNINGS_DROPPED', message, layer: this.layer }];
  }

  private onWhiteout(path: string): boolean {
    const whiteout = whiteoutOf(path);
    if (whiteout.kind === 'whiteout') this.whiteouts.push(whiteout.hidden);
    else if (whiteout.kind === 'opaque') this.opaqueDirs.push(whiteout.dir);
    return whiteout.kind !== 'none';
  }

  private async onTyped(path: string, header: Header, stream: EntryStream): Promise<void> {
    if (header.type === 'file' || header.type === 'contiguous-file') {
      await this.onFile(path, header.size, stream);
      return;
    }
    stream.resume();
    if (header.type === 'symlink') this.onSymlink(path, linkName(header));
    else if (header.type === 'link') this.onHardLink(path, linkName(header));
    else if (header.type === 'directory' && path !== '') this.dirs.add(path);
    else if (SPECIAL_TYPES.has(header.type)) this.otherFiles.add(path);
  }

  private async onFile(path: string, size: number, stream: EntryStream): Promise<void> {
    if (!this.wants(path)) {
      this.otherFiles.add(path);
      stream.resume();
      return;
    }

    if (size > this.limits.maxFileBytes) {
      this.warn(
        'SCAN_FILE_TOO_LARGE',
        `${size} bytes, over the ${this.limits.maxFileBytes} kept`,
        path,
      );
      this.unreadable.add(path);
      stream.resume();
      return;
    }

    if (this.keptBytes + size > this.limits.maxKeptBytes) {
      this.warn('SCAN_LIMIT', `kept files pass ${this.limits.maxKeptBytes} bytes`, path);
      this.unreadable.add(path);
      stream.resume();
      return;
    }

    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    this.keptBytes += size;
    this.files.set(path, Buffer.concat(chunks));
  }

  private onSymlink(path: string, target: string): void {
    if (target.length > MAX_LINK_TARGET || target === '') {
      this.warn('SCAN_BAD_LINK', `symlink target empty or longer than ${MAX_LINK_TARGET}`, path);
      this.unreadable.add(path);
      return;
    }
    if (this.links.size >= this.limits.maxLinks) {
      // One warning says it (naming the first link dropped); each dropped link still hides.
      const message = `more than ${this.limits.maxLinks} links; later ones ignored`;
      if (this.linksDropped++ === 0) this.warn('SCAN_LIMIT', message, path);
      this.unreadable.add(path);
      return;
    }
    this.links.set(path, { target, hard: false });
  }

  private onHardLink(path: string, rawTarget: string): void {
    if (!this.wants(path)) {
      this.otherFiles.add(path);
      return;
    }

    const target = normaliseEntryPath(rawTarget);
    if (target === undefined || target === '') {
      this.warn(
        'SCAN_PATH_TRAVERSAL',
        `hard link target climbs out of the root: ${rawTarget}`,
        path,
      );
      this.unreadable.add(path);
      return;
    }

    const data = this.files.get(target);
    if (data !== undefined) this.files.set(path, data);
    else this.links.set(path, { target, hard: true });
  }

  private warn(code: string, message: string, path?: string): void {
    if (this.warnings.length >= MAX_WARNINGS) {
      this.suppressed += 1;
      return;
    }
    const warning: ScanWarning = { code, message, layer: this.layer };
    this.warnings.push(path === undefined ? warning : { ...warning, path });
  }
}

/** tar-stream's types say string, but an empty link name field decodes to null. */
function linkName(header: Header): string {
  const value: unknown = header.linkname;
  return typeof value === 'string' ? value : '';
}
