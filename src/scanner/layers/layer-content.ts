import type { ScanWarning } from '../types.js';
import type { Compression } from './decompress.js';
import type { PathHashes } from './path-hashes.js';

/** A symlink (target as written, resolved at lookup) or a hard link (target from the root). */
export interface LayerLink {
  readonly target: string;
  readonly hard: boolean;
}

/**
 * What one layer contributes, independent of the layers around it, so results are mergeable
 * (and cacheable by `diffId`): the files the analysers asked for, every link, whiteouts, and
 * the shape (folder or not) of every other entry as path hashes.
 */
export interface LayerContent {
  readonly digest: string;
  /** sha256 of the uncompressed tar. */
  readonly diffId: string;
  readonly compression: Compression;
  readonly entries: number;
  readonly files: ReadonlyMap<string, Buffer>;
  readonly links: ReadonlyMap<string, LayerLink>;
  /** Paths this layer deletes from the layers below it. */
  readonly whiteouts: readonly string[];
  /** Folders whose contents in the layers below are hidden. */
  readonly opaqueDirs: readonly string[];
  /**
   * Paths this layer has but did not keep (a wanted file over a size limit, a link past the
   * link limit or with a bad target): present but unreadable, they still hide lower copies.
   */
  readonly unreadable: readonly string[];
  /**
   * Non-folder entries kept neither as files nor as links (files no analyser wants, devices,
   * fifos, unwanted hard links). Each replaces what lower layers have at its path, a whole
   * folder tree included (OCI layer changesets), so the merge asks about kept lower paths.
   */
  readonly otherFiles: PathHashes;
  /**
   * Folder entries. Each replaces a lower non-folder (file or link) at its path; a lower folder
   * there is merged with it instead.
   */
  readonly dirs: PathHashes;
  readonly warnings: readonly ScanWarning[];
}
