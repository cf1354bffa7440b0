/**
 * Layer cache: what a layer read kept, persisted per layer so that images sharing base layers
 * are read once, across runs and across processes sharing the folder.
 *
 * Entries are keyed by the layer's diff ID (its uncompressed digest, the same whatever the
 * compression) plus a variant: the analyser set and the limits that shape what a read keeps.
 * Layers read without a config diff ID are found through a small index from blob digest to
 * diff ID, written after each read. Every file is written to a temporary name and renamed, so
 * readers (in this process or another) see whole entries or none; each carries the sha256 of its
 * payload, and anything that fails the checks is deleted and read as a miss.
 *
 * A hit trusts the caller's diff ID: the blob is not opened, so its digest is not re-checked.
 * The sha256 guards against corruption, not against someone who can write to the folder, which
 * is created private to the user.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { access, constants, lstat, mkdir, open, readdir } from 'node:fs/promises';
import { rename, unlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { EraserError } from '../errors.js';
import { silentLogger, type Logger } from '../logger.js';
import { DEFAULT_ANALYZERS, type Analyzer } from './analyzers/index.js';
import {
  CacheFormatError,
  CACHE_FORMAT,
  decodeEntry,
  decodeIndexPayload,
  decodeLayerPayload,
  encodeEntry,
  encodeIndexPayload,
  encodeLayerPayload,
  type IndexRecord,
} from './cache-format.js';
import { ScanError } from './errors.js';
import type { LayerReader } from './inventory.js';
import { sniffCompression, type Compression } from './layers/decompress.js';
import type { LayerContent } from './layers/layer-content.js';
import { readLayer as streamLayer, type ReadLayerOptions } from './layers/read-layer.js';
import type { ScanLimits } from './limits.js';
import { OS_RELEASE_PATHS } from './os/os-release.js';
import type { LayerSource } from './types.js';

export { CACHE_FORMAT } from './cache-format.js';

const DEFAULT_MAX_BYTES = 512 * 1024 ** 2;
/** A temporary file this old was left by a process that died while writing it. */
const STALE_TEMP_MS = 60 * 60 * 1000;
const ENTRY_NAME = /^[0-9a-f]{64}\.(layer|idx)$/;
/**
 * The folder is re-listed after this fraction of the bound was written, so that entries other
 * processes added are counted before the folder grows far past the bound.
 */
const RESCAN_FRACTION = 8;

export interface LayerCacheOptions {
  /** The cache folder; created (mode 0700) when missing. May be shared by several processes. */
  readonly dir: string;
  /** Bound on the bytes of all entries in the folder; default 512 MiB. */
  readonly maxBytes?: number;
  readonly logger?: Logger;
  /**
   * The analysers the inventories run with (default: DEFAULT_ANALYZERS). What a layer read keeps
   * depends on them, so they are part of every key; pass the same set as to buildInventory.
   */
  readonly analyzers?: readonly Analyzer[];
  /** The time set on entries when written or hit, which orders eviction; injected for tests. */
  readonly clock?: () => Date;
}

export interface LayerCacheStats {
  /** Layer reads answered from the cache, without reading the blob. */
  readonly hits: number;
  /** Layer reads that streamed the blob. */
  readonly misses: number;
  /** Bytes of the entries in the folder, as last seen. */
  readonly bytes: number;
  /** Layer entries in the folder, as last seen. */
  readonly entries: number;
}

export interface LayerCache {
  /** Drop-in for InventoryOptions.readLayer: answers from the cache, or reads and stores. */
  readonly readLayer: LayerReader;
  stats(): LayerCacheStats;
  /** Waits for reads and writes in progress; later reads are refused. */
  close(): Promise<void>;
}

export type LayerCacheErrorCode = 'CACHE_BAD_OPTIONS' | 'CACHE_UNUSABLE' | 'CACHE_CLOSED';

/**
 * The cache cannot be used as configured; the context names its folder. Failures of single
 * entries are not errors but misses.
 */
export class LayerCacheError extends EraserError {
  declare readonly code: LayerCacheErrorCode;

  constructor(
    code: LayerCacheErrorCode,
    message: string,
    dir: string,
    context: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super(code, message, { dir, ...context }, options);
  }
}

/**
 * Opens (creating it when missing) a layer cache folder, counts what it holds and evicts down
 * to `maxBytes`. Throws LayerCacheError when the options are invalid or the folder unusable.
 */
export async function openLayerCache(options: LayerCacheOptions): Promise<LayerCache> {
  const { dir } = options;
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  if (!Number.isSafeInteger(maxBytes) || maxBytes <= 0) {
    const message = `layer cache maxBytes ${maxBytes}: expected a positive whole number of bytes`;
    throw new LayerCacheError('CACHE_BAD_OPTIONS', message, dir, { maxBytes });
  }
  await prepareDir(dir);

  const cache = new DiskLayerCache({
    dir,
    maxBytes,
    log: (options.logger ?? silentLogger()).child({ component: 'layer-cache', dir }),
    variantBase: analyzerSetVersion(options.analyzers ?? DEFAULT_ANALYZERS),
    clock: options.clock ?? (() => new Date()),
  });
  await cache.rescan();
  await cache.evict();
  return cache;
}

async function prepareDir(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    if (!(await lstat(dir)).isDirectory()) throw new Error('not a folder');
    await access(dir, constants.R_OK | constants.W_OK | constants.X_OK);
  } catch (err: unknown) {
    const message = `layer cache folder ${dir} is not a usable folder: ${String(err)}`;
    throw new LayerCacheError('CACHE_UNUSABLE', message, dir, {}, { cause: err });
  }
}

/**
 * Identifies what the analysers keep from a layer. The `wants` source text catches most
 * changes; a change it cannot see (a path list held elsewhere) must bump CACHE_FORMAT.
 */
function analyzerSetVersion(analyzers: readonly Analyzer[]): string {
  const set = analyzers
    .map((analyzer): [string, string] => [analyzer.name, analyzer.wants.toString()])
    .sort(([a], [b]) => (a < b ? -1 : 1));
  return sha256Hex(JSON.stringify({ format: CACHE_FORMAT, os: OS_RELEASE_PATHS, set }));
}

/** The limits that change what a read keeps (others only make it fail, which is not cached). */
function variantOf(base: string, limits: ScanLimits): string {
  const { maxFileBytes, maxKeptBytes, maxLinks } = limits;
  return sha256Hex(JSON.stringify([base, maxFileBytes, maxKeptBytes, maxLinks]));
}

function layerEntryName(variant: string, diffId: string): string {
  return `${sha256Hex(`layer\n${variant}\n${diffId}`)}.layer`;
}

function indexEntryName(digest: string): string {
  return `${sha256Hex(`index\n${digest}`)}.idx`;
}

function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

interface DiskEntry {
  readonly size: number;
  mtimeMs: number;
}

interface CacheSetup {
  readonly dir: string;
  readonly maxBytes: number;
  readonly log: Logger;
  readonly variantBase: string;
  readonly clock: () => Date;
}

class DiskLayerCache implements LayerCache {
  private readonly table = new Map<string, DiskEntry>();
  private tableBytes = 0;
  private writtenSinceScan = 0;
  private hits = 0;
  private misses = 0;
  private closed = false;
  /** Reads in progress by key, so that concurrent scans of a shared layer read it once. */
  private readonly inflight = new Map<string, Promise<LayerContent>>();
  private readonly running = new Set<Promise<unknown>>();
  private maintaining: Promise<void> = Promise.resolve();

  constructor(private readonly setup: CacheSetup) {}

  readonly readLayer: LayerReader = (layer, options) => {
    if (this.closed) {
      const message = `layer cache ${this.setup.dir} is closed; layer ${layer.digest} not read`;
      return Promise.reject(new LayerCacheError('CACHE_CLOSED', message, this.setup.dir));
    }
    const task = this.read(layer, options);
    this.running.add(task);
    const forget = (): void => void this.running.delete(task);
    void task.then(forget, forget);
    return task;
  };

  stats(): LayerCacheStats {
    const entries = [...this.table.keys()].filter((name) => name.endsWith('.layer')).length;
    return { hits: this.hits, misses: this.misses, bytes: this.tableBytes, entries };
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([...this.running]);
  }

  private async read(layer: LayerSource, options: ReadLayerOptions): Promise<LayerContent> {
    throwIfAborted(layer, options);
    const variant = variantOf(this.setup.variantBase, options.limits);
    const diffId = options.expectedDiffId ?? (await this.indexRecord(layer.digest))?.diffId;
    const flightKey = `${variant}/${diffId ?? layer.digest}`;

    const pending = this.inflight.get(flightKey);
    if (pending !== undefined) {
      // Another scan is reading this layer: share its result; its failure is its own.
      const shared = await pending.catch(() => undefined);
      const rebased = shared === undefined ? undefined : await this.rebase(shared, layer);
      if (rebased !== undefined) return this.hit(rebased, diffId);
    }

    const task = this.lookupOrRead(layer, options, variant, diffId);
    this.inflight.set(flightKey, task);
    try {
      return await task;
    } finally {
      if (this.inflight.get(flightKey) === task) this.inflight.delete(flightKey);
    }
  }

  private async lookupOrRead(
    layer: LayerSource,
    options: ReadLayerOptions,
    variant: string,
    diffId: string | undefined,
  ): Promise<LayerContent> {
    const cached = diffId === undefined ? undefined : await this.lookup(variant, diffId);
    const rebased = cached === undefined ? undefined : await this.rebase(cached, layer);
    if (rebased !== undefined) return this.hit(rebased, diffId);

    this.misses += 1;
    this.setup.log.debug({ layer: layer.digest, diffId }, 'layer cache miss: reading the blob');
    const content = await streamLayer(layer, options);
    await this.store(variant, content);
    return content;
  }

  private hit(content: LayerContent, diffId: string | undefined): LayerContent {
    this.hits += 1;
    this.setup.log.debug({ layer: content.digest, diffId }, 'layer cache hit');
    return content;
  }

  private async lookup(variant: string, diffId: string): Promise<LayerContent | undefined> {
    return this.load(layerEntryName(variant, diffId), (file) => {
      const { key, content } = decodeLayerPayload(decodeEntry('layer', file));
      if (key !== variant || content.diffId !== diffId) {
        throw new CacheFormatError('foreign', `entry holds ${content.diffId}, not ${diffId}`);
      }
      return content;
    });
  }

  private async indexRecord(digest: string): Promise<IndexRecord | undefined> {
    return this.load(indexEntryName(digest), (file) => {
      const record = decodeIndexPayload(decodeEntry('index', file));
      if (record.digest !== digest) {
        throw new CacheFormatError('foreign', `index entry is for ${record.digest}`);
      }
      return record;
    });
  }

  /**
   * Reads and decodes one entry file, marking it used. A missing file is a miss; an invalid one
   * is deleted and is a miss; an unreadable one is a miss left in place.
   */
  private async load<T>(name: string, decode: (file: Buffer) => T): Promise<T | undefined> {
    try {
      const file = await this.readEntryFile(name);
      if (file === undefined) return undefined;
      const value = decode(file);
      await this.touch(name, file.length);
      return value;
    } catch (err: unknown) {
      if (err instanceof CacheFormatError) {
        this.setup.log.warn({ err, entry: name }, 'cache entry invalid; deleted, read as a miss');
        await this.removeFile(name);
      } else {
        this.setup.log.warn({ err, entry: name }, 'cache entry unreadable; read as a miss');
      }
      return undefined;
    }
  }

  private async readEntryFile(name: string): Promise<Buffer | undefined> {
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
      // Checked before reading so that a huge file (or a hostile one) is never loaded.
      if (info.size > this.setup.maxBytes) {
        const message = `${info.size} bytes, over the cache bound of ${this.setup.maxBytes}`;
        throw new CacheFormatError('malformed', message);
      }
      return await handle.readFile();
    } finally {
      await handle.close();
    }
  }

  /**
   * Adapts an entry read from another blob with the same diff ID (the same tar, compressed
   * differently) to this blob: its digest, compression and warnings. Undefined when the index
   * knows this blob to have another diff ID, or its compression cannot be sniffed.
   */
  private async rebase(
    content: LayerContent,
    layer: LayerSource,
  ): Promise<LayerContent | undefined> {
    if (content.digest === layer.digest) return content;
    const record = await this.indexRecord(layer.digest);
    if (record !== undefined && record.diffId !== content.diffId) return undefined;
    const compression = record?.compression ?? (await sniffLayer(layer));
    if (compression === undefined) return undefined;

    const warnings = content.warnings.map((warning) =>
      warning.layer === content.digest ? { ...warning, layer: layer.digest } : warning,
    );
    return { ...content, digest: layer.digest, compression, warnings };
  }

  /** Stores a fresh read and its index record; a failure costs only the caching. */
  private async store(variant: string, content: LayerContent): Promise<void> {
    const log = this.setup.log.child({ layer: content.digest, diffId: content.diffId });
    try {
      const entry = encodeEntry('layer', encodeLayerPayload(variant, content));
      const size = byteLength(entry);
      if (size > this.setup.maxBytes) {
        log.info({ size, maxBytes: this.setup.maxBytes }, 'layer not cached: over the bound');
        return;
      }
      await this.writeAtomic(layerEntryName(variant, content.diffId), entry);
      const { digest, diffId, compression } = content;
      const index = encodeEntry('index', encodeIndexPayload({ digest, diffId, compression }));
      await this.writeAtomic(indexEntryName(digest), index);
      await this.afterWrite();
    } catch (err: unknown) {
      log.warn({ err }, 'layer not cached: writing the entry failed');
    }
  }

  private async writeAtomic(name: string, chunks: readonly Buffer[]): Promise<void> {
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

    const size = byteLength(chunks);
    this.setEntry(name, { size, mtimeMs: now.getTime() });
    this.writtenSinceScan += size;
  }

  /** Marks an entry used; failing to only costs its place in the eviction order. */
  private async touch(name: string, size: number): Promise<void> {
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

  /** Rescans and evicts when due; one round at a time, as concurrent scans store in parallel. */
  private async afterWrite(): Promise<void> {
    const { maxBytes } = this.setup;
    if (this.tableBytes <= maxBytes && this.writtenSinceScan < maxBytes / RESCAN_FRACTION) return;
    const round = this.maintaining.then(async () => {
      await this.rescan();
      await this.evict();
    });
    this.maintaining = round.catch(() => undefined); // the failure is reported to this caller
    await round;
  }

  /** Lists the folder afresh (other processes write to it too) and drops stale temporaries. */
  async rescan(): Promise<void> {
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

  /** Deletes least recently used entries until the folder is within the bound. */
  async evict(): Promise<void> {
    const { maxBytes, log } = this.setup;
    if (this.tableBytes <= maxBytes) return;
    const before = this.tableBytes;
    const oldestFirst = [...this.table].sort(
      ([nameA, a], [nameB, b]) => a.mtimeMs - b.mtimeMs || (nameA < nameB ? -1 : 1),
    );

    let evicted = 0;
    for (const [name] of oldestFirst) {
      if (this.tableBytes <= maxBytes) break;
      await this.removeFile(name);
      evicted += 1;
    }
    const freed = before - this.tableBytes;
    log.info({ evicted, freed, bytes: this.tableBytes, maxBytes }, 'layer cache evicted LRU');
  }

  private async removeIfStale(name: string): Promise<void> {
    const path = join(this.setup.dir, name);
    const info = await lstat(path).catch(ignoreNotFound);
    if (info === undefined || this.setup.clock().getTime() - info.mtimeMs < STALE_TEMP_MS) return;
    this.setup.log.info({ file: name }, 'removing a temporary file left by a dead writer');
    await unlink(path).catch(ignoreNotFound);
  }

  /** Deletes an entry; already gone is fine (another process evicted it). */
  private async removeFile(name: string): Promise<void> {
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

  private setEntry(name: string, entry: DiskEntry | undefined): void {
    this.tableBytes -= this.table.get(name)?.size ?? 0;
    if (entry === undefined) {
      this.table.delete(name);
      return;
    }
    this.table.set(name, entry);
    this.tableBytes += entry.size;
  }
}

function throwIfAborted(layer: LayerSource, options: ReadLayerOptions): void {
  if (options.signal?.aborted !== true) return;
  const context = { image: options.image, layer: layer.digest };
  const message = `reading layer ${layer.digest} of image ${options.image} was aborted`;
  throw new ScanError('SCAN_ABORTED', message, context, { cause: options.signal.reason });
}

/** The compression of a blob from its first bytes; undefined when it cannot be opened. */
async function sniffLayer(layer: LayerSource): Promise<Compression | undefined> {
  const head: Buffer[] = [];
  let length = 0;
  try {
    for await (const chunk of layer.open()) {
      head.push(Buffer.from(chunk as Uint8Array));
      length += head.at(-1)?.length ?? 0;
      if (length >= 4) break; // leaving the loop destroys the stream
    }
  } catch {
    return undefined;
  }
  return sniffCompression(Buffer.concat(head));
}

function byteLength(chunks: readonly Buffer[]): number {
  return chunks.reduce((sum, chunk) => sum + chunk.length, 0);
}

function isNotFound(err: unknown): boolean {
  return err instanceof Error && (err as NodeJS.ErrnoException).code === 'ENOENT';
}

function ignoreNotFound(err: unknown): undefined {
  if (isNotFound(err)) return undefined;
  throw err;
}
