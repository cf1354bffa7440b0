/**
 * The cache's folder: entry files (layer reads, digest index records, finished inventories)
 * written atomically, read with a size check first, and evicted least recently used first when
 * the folder passes its bound. Several processes may share the folder: renames are atomic, and
 * a file another process removed is simply gone.
 */
import { randomBytes } from 'node:crypto';
import {
  lstat,
  open,
  readdir,
  rename,
  unlink,
  utimes,
  writeFile,
  type FileHandle,
} from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../logger.js';
import { CacheFormatError } from './cache-format.js';

/** A temporary file this old was left by a process that died while writing it. */
const STALE_TEMP_MS = 60 * 60 * 1000;
/** Names of entry files; anything else in the folder is neither counted nor evicted. */
const ENTRY_NAME = /^[0-9a-f]{64}\.(layer|idx|inv)$/;
/**
 * The folder is listed afresh after this fraction of the bound was written, so that entries
 * other processes added are counted before the folder grows far past the bound.
 */
const RESCAN_FRACTION = 8;

export interface CacheFolderSetup {
  readonly dir: string;
  readonly maxBytes: number;
  readonly log: Logger;
  /** The time set on files when written or used, which orders eviction. */
  readonly clock: () => Date;
}

interface FolderEntry {
  readonly size: number;
  readonly mtimeMs: number;
}

export class CacheFolder {
  /** The entry files as last seen, with the sizes and times that drive eviction. */
  private readonly table = new Map<string, FolderEntry>();
  private tableBytes = 0;
  private writtenSinceScan = 0;
  private maintaining: Promise<void> = Promise.resolve();

  constructor(private readonly setup: CacheFolderSetup) {}

  /** Bytes and entries of the given suffix, as last seen. */
  usage(suffix: string): { bytes: number; entries: number } {
    const entries = [...this.table.keys()].filter((name) => name.endsWith(suffix)).length;
    return { bytes: this.tableBytes, entries };
  }

  /**
   * Reads and decodes one entry file, marking it used. A missing file is a miss; an invalid one
   * (`decode` throws CacheFormatError) is deleted and is a miss; an unreadable one is a miss
   * left in place.
   */
  async load<T>(name: string, decode: (file: Buffer) => T): Promise<T | undefined> {
    const { log } = this.setup;
    try {
      const file = await this.read(name);
      if (file === undefined) return undefined;
      const value = decode(file);
      await this.touch(name, file.length);
      return value;
    } catch (err: unknown) {
      if (err instanceof CacheFormatError) {
        log.warn({ err, entry: name }, 'cache entry invalid; deleted, read as a miss');
        await this.remove(name);
      } else {
        log.warn({ err, entry: name }, 'cache entry unreadable; read as a miss');
      }
      return undefined;
    }
  }

  /**
   * The bytes of an entry file, or undefined when there is none. Throws CacheFormatError for a
   * file that cannot be an entry (not a regular file, over the bound: never loaded).
   */
  async read(name: string): Promise<Buffer | undefined> {
    let handle: FileHandle;
    try {
      handle = await open(join(this.setup.dir, name), 'r');
    } catch (err: unknown) {
      if (isNotFound(err)) return undefined;
      throw err;
    }

    try {
      const info = await handle.stat();
      if (!info.isFile()) throw new CacheFormatError('foreign', 'not a regular file');
      if (info.size > this.setup.maxBytes) {
        const message = `${info.size} bytes, over the cache bound of ${this.setup.maxBytes}`;
        throw new CacheFormatError('malformed', message);
      }
      return await handle.readFile();
    } finally {
      await handle.close();
    }
  }

  /** Writes an entry under a temporary name and renames it, then keeps the folder in bound. */
  async write(name: string, chunks: readonly Buffer[]): Promise<void> {
    const path = join(this.setup.dir, name);
    const temp = `${path}.${process.pid}-${randomBytes(6).toString('hex')}.tmp`;
    const now = this.setup.clock();
    try {
      await writeFile(temp, chunks, { flag: 'wx', mode: 0o600 });
      await utimes(temp, now, now);
      await rename(temp, path);
    } catch (err: unknown) {
      await unlink(temp).catch(() => undefined); // it may never have been created
      throw err;
    }

    const size = chunks.reduce((sum, chunk) => sum + chunk.length, 0);
    this.setEntry(name, { size, mtimeMs: now.getTime() });
    this.writtenSinceScan += size;
    await this.maintain();
  }

  /** Marks an entry used; failing to only costs its place in the eviction order. */
  async touch(name: string, size: number): Promise<void> {
    const now = this.setup.clock();
    try {
      await utimes(join(this.setup.dir, name), now, now);
    } catch (err: unknown) {
      // Gone means evicted by another process since it was read: the data in hand is valid.
      if (!isNotFound(err)) this.setup.log.warn({ err, entry: name }, 'cache entry not touched');
      return;
    }
    this.setEntry(name, { size, mtimeMs: now.getTime() });
  }

  /** Deletes an entry; already gone is fine (another process evicted it). */
  async remove(name: string): Promise<void> {
    try {
      await unlink(join(this.setup.dir, name));
    } catch (err: unknown) {
      if (!isNotFound(err)) {
        this.setup.log.warn({ err, entry: name }, 'cache entry could not be deleted');
        return;
      }
    }
    this.setEntry(name, undefined);
  }

  /** Lists the folder afresh (other processes write to it too) and evicts down to the bound. */
  async rescanAndEvict(): Promise<void> {
    const round = this.maintaining.then(async () => {
      await this.rescan();
      await this.evict();
    });
    this.maintaining = round.catch(() => undefined); // the failure is reported to this caller
    await round;
  }

  /** One round at a time: concurrent scans store in parallel. */
  private async maintain(): Promise<void> {
    const { maxBytes } = this.setup;
    if (this.tableBytes <= maxBytes && this.writtenSinceScan < maxBytes / RESCAN_FRACTION) return;
    await this.rescanAndEvict();
  }

  private async rescan(): Promise<void> {
    const names = await readdir(this.setup.dir);
    this.table.clear();
    this.tableBytes = 0;
    this.writtenSinceScan = 0;
    for (const name of names.sort()) {
      if (name.endsWith('.tmp')) await this.removeIfStale(name);
      if (!ENTRY_NAME.test(name)) continue;
      const info = await lstat(join(this.setup.dir, name)).catch(ignoreNotFound);
      if (info?.isFile() === true) this.setEntry(name, { size: info.size, mtimeMs: info.mtimeMs });
    }
  }

  private async evict(): Promise<void> {
    const { maxBytes, log } = this.setup;
    if (this.tableBytes <= maxBytes) return;
    const before = this.tableBytes;
    const oldestFirst = [...this.table].sort(
      ([nameA, a], [nameB, b]) => a.mtimeMs - b.mtimeMs || (nameA < nameB ? -1 : 1),
    );

    let evicted = 0;
    for (const [name] of oldestFirst) {
      if (this.tableBytes <= maxBytes) break;
      await this.remove(name);
      evicted += 1;
    }
    const freed = before - this.tableBytes;
    log.info({ evicted, freed, bytes: this.tableBytes, maxBytes }, 'cache evicted LRU');
  }

  private async removeIfStale(name: string): Promise<void> {
    const path = join(this.setup.dir, name);
    const info = await lstat(path).catch(ignoreNotFound);
    if (info === undefined || this.setup.clock().getTime() - info.mtimeMs < STALE_TEMP_MS) return;
    this.setup.log.info({ file: name }, 'removing a temporary file left by a dead writer');
    await unlink(path).catch(ignoreNotFound);
  }

  private setEntry(name: string, entry: FolderEntry | undefined): void {
    this.tableBytes -= this.table.get(name)?.size ?? 0;
    if (entry === undefined) {
      this.table.delete(name);
      return;
    }
    this.table.set(name, entry);
    this.tableBytes += entry.size;
  }
}

function isNotFound(err: unknown): boolean {
  return err instanceof Error && (err as NodeJS.ErrnoException).code === 'ENOENT';
}

function ignoreNotFound(err: unknown): undefined {
  if (isNotFound(err)) return undefined;
  throw err;
}
