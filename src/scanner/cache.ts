/**
 * Layer cache: what a layer read kept, persisted per layer so that images sharing base layers
 * are read once, across runs and across processes sharing the folder. The same folder holds
 * each image's finished inventory too (cache-inventory.ts), so that an image seen before is
 * answered without reading a layer or running an analyser.
 *
 * Entries are keyed by the layer's diff ID (its uncompressed digest, the same whatever the
 * compression) plus a variant: the analyser set and the limits the read ran under. Layers read
 * without a config diff ID are found through a small index from blob digest to diff ID, written
 * after each read. Every file is written to a temporary name and renamed, so readers (in this
 * process or another) see whole entries or none; each carries the sha256 of its payload, and
 * anything that fails the checks is deleted and read as a miss. Past the size bound, the least
 * recently used entries go first.
 *
 * A hit trusts the caller's diff ID: the blob is not read, so its digest is not re-checked (a
 * blob stored under another digest with the same diff ID is opened for its first bytes only, to
 * tell its compression). The sha256 guards against corruption, not against someone who can
 * write to the folder, which is created private to the user.
 */
import { createHash } from 'node:crypto';
import { access, constants, mkdir, stat } from 'node:fs/promises';
import { EraserError, errorMessage } from '../errors.js';
import { silentLogger, type Logger } from '../logger.js';
import { DEFAULT_ANALYZERS, type Analyzer } from './analyzers/index.js';
import { CacheFolder } from './cache-folder.js';
import {
  InventoryEntries,
  inventoryKey,
  type CachedImage,
  type InventoryEntryStats,
} from './cache-inventory.js';
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
import {
  buildInventory,
  inventoryLogger,
  logInventory,
  type InventoryOptions,
  type LayerReader,
} from './inventory.js';
import { sniffCompression, type Compression } from './layers/decompress.js';
import type { LayerContent } from './layers/layer-content.js';
import { readLayer as streamLayer, type ReadLayerOptions } from './layers/read-layer.js';
import { resolveLimits, type ScanLimits } from './limits.js';
import { OS_RELEASE_PATHS } from './os/os-release.js';
import type { Inventory, LayerSource } from './types.js';

export { CACHE_FORMAT } from './cache-format.js';
export { INVENTORY_RESULTS_VERSION, type CachedImage } from './cache-inventory.js';

const DEFAULT_MAX_BYTES = 512 * 1024 ** 2;

export interface LayerCacheOptions {
  /** The cache folder; created (mode 0700) when missing. May be shared by several processes. */
  readonly dir: string;
  /** Bound on the bytes of all entries in the folder; default 512 MiB. */
  readonly maxBytes?: number;
  readonly logger?: Logger;
  /**
   * The analysers the inventories run with (default: DEFAULT_ANALYZERS). What a layer read keeps
   * depends on them, so they are part of every key; pass the same set as to buildInventory when
   * using `readLayer`. The cache's own `buildInventory` keys by the set it is given instead.
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
  /** Whole images answered from (or added to) the cache by buildInventory. */
  readonly images: InventoryEntryStats;
}

export interface LayerCache {
  /** Drop-in for InventoryOptions.readLayer: answers from the cache, or reads and stores. */
  readonly readLayer: LayerReader;
  /**
   * Drop-in for buildInventory: answers the image from its cached inventory (EOL judged at
   * `options.clock`), or builds it reading layers through `readLayer` (in place of any
   * `options.readLayer`) and stores it. The result equals what buildInventory returns.
   */
  readonly buildInventory: (image: CachedImage, options: InventoryOptions) => Promise<Inventory>;
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

  const log = (options.logger ?? silentLogger()).child({ component: 'layer-cache', dir });
  const clock = options.clock ?? (() => new Date());
  const folder = new CacheFolder({ dir, maxBytes, log, clock });
  await folder.rescanAndEvict();
  const variantBase = analyzerSetVersion(options.analyzers ?? DEFAULT_ANALYZERS);
  const inventories = new InventoryEntries(folder, log, maxBytes);
  return new DiskLayerCache({ dir, folder, log, variantBase, maxBytes, inventories });
}

async function prepareDir(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    if (!(await stat(dir)).isDirectory()) throw new Error('it is not a folder');
    await access(dir, constants.R_OK | constants.W_OK | constants.X_OK);
  } catch (err: unknown) {
    const message = `layer cache folder ${dir} is not usable: ${errorMessage(err)}`;
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

/**
 * Identifies what the analysers report: what they keep plus the source text of `analyze`,
 * which catches changes made there; deeper ones must bump INVENTORY_RESULTS_VERSION.
 */
function analyzerResultsVersion(analyzers: readonly Analyzer[]): string {
  const code = analyzers.map((analyzer) => [analyzer.name, analyzer.analyze.toString()]);
  return sha256Hex(JSON.stringify([analyzerSetVersion(analyzers), code]));
}

/**
 * The key part shared by all layers of one analyser set and limits. Every limit a read runs
 * under is in it: some change what is kept, the others whether the read succeeds, and an entry
 * read under laxer limits must not answer a read that would have been refused.
 */
function variantOf(base: string, limits: ScanLimits): string {
  const { maxFileBytes, maxKeptBytes, maxLinks, maxEntries } = limits;
  const { maxLayerBytes, maxCompressedBytes, maxZstdWindowBytes } = limits;
  const read = [maxFileBytes, maxKeptBytes, maxLinks, maxEntries];
  const stream = [maxLayerBytes, maxCompressedBytes, maxZstdWindowBytes];
  return sha256Hex(JSON.stringify([base, read, stream]));
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

interface CacheSetup {
  readonly dir: string;
  readonly folder: CacheFolder;
  readonly log: Logger;
  readonly variantBase: string;
  readonly maxBytes: number;
  readonly inventories: InventoryEntries;
}

class DiskLayerCache implements LayerCache {
  private hits = 0;
  private misses = 0;
  private closed = false;
  /** Reads in progress by key, so that concurrent scans of a shared layer read it once. */
  private readonly inflight = new Map<string, Promise<LayerContent>>();
  private readonly running = new Set<Promise<unknown>>();

  readonly readLayer: LayerReader;

  constructor(private readonly setup: CacheSetup) {
    this.readLayer = this.layerReader(setup.variantBase);
  }

  readonly buildInventory = (image: CachedImage, options: InventoryOptions): Promise<Inventory> =>
    this.track(`image ${image.name}`, () => this.inventory(image, options));

  stats(): LayerCacheStats {
    const layers = { hits: this.hits, misses: this.misses, ...this.setup.folder.usage('.layer') };
    return { ...layers, images: this.setup.inventories.stats() };
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([...this.running]);
  }

  /** Runs a task that close() waits for; refused once the cache is closed. */
  private track<T>(what: string, run: () => Promise<T>): Promise<T> {
    if (this.closed) {
      const message = `layer cache ${this.setup.dir} is closed; ${what} not read`;
      return Promise.reject(new LayerCacheError('CACHE_CLOSED', message, this.setup.dir));
    }
    const task = run();
    this.running.add(task);
    const forget = (): void => void this.running.delete(task);
    void task.then(forget, forget);
    return task;
  }

  /** Reads layers for the analyser set `variantBase` identifies. */
  private layerReader(variantBase: string): LayerReader {
    return (layer, options) =>
      this.track(`layer ${layer.digest}`, () => this.read(layer, options, variantBase));
  }

  private async inventory(image: CachedImage, options: InventoryOptions): Promise<Inventory> {
    throwIfImageAborted(image, options.signal);
    const analyzers = options.analyzers ?? DEFAULT_ANALYZERS;
    const limits = resolveLimits(options.limits);
    const key = inventoryKey(image, analyzerResultsVersion(analyzers), limits);
    const { inventories } = this.setup;

    const cached = await inventories.lookup(key, image.name, options.clock());
    if (cached !== undefined) {
      logInventory(inventoryLogger(image, options), cached, { cached: true });
      return cached;
    }
    // Layers are read for the analysers this build runs, whatever set the cache was opened for.
    const readLayer = this.layerReader(analyzerSetVersion(analyzers));
    const inventory = await buildInventory(image, { ...options, readLayer });
    await inventories.store(key, inventory);
    return inventory;
  }

  private async read(
    layer: LayerSource,
    options: ReadLayerOptions,
    variantBase: string,
  ): Promise<LayerContent> {
    throwIfAborted(layer, options);
    const variant = variantOf(variantBase, options.limits);
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
    return this.setup.folder.load(layerEntryName(variant, diffId), (file) => {
      const { key, content } = decodeLayerPayload(decodeEntry('layer', file));
      if (key !== variant || content.diffId !== diffId) {
        throw new CacheFormatError('foreign', `entry holds ${content.diffId}, not ${diffId}`);
      }
      return content;
    });
  }

  private async indexRecord(digest: string): Promise<IndexRecord | undefined> {
    return this.setup.folder.load(indexEntryName(digest), (file) => {
      const record = decodeIndexPayload(decodeEntry('index', file));
      if (record.digest !== digest) {
        throw new CacheFormatError('foreign', `index entry is for ${record.digest}`);
      }
      return record;
    });
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
    const { folder } = this.setup;
    const log = this.setup.log.child({ layer: content.digest, diffId: content.diffId });
    try {
      const entry = encodeEntry('layer', encodeLayerPayload(variant, content));
      const size = entry.reduce((sum, chunk) => sum + chunk.length, 0);
      if (size > this.setup.maxBytes) {
        log.info({ size, maxBytes: this.setup.maxBytes }, 'layer not cached: over the bound');
        return;
      }
      await folder.write(layerEntryName(variant, content.diffId), entry);
      const { digest, diffId, compression } = content;
      const index = encodeEntry('index', encodeIndexPayload({ digest, diffId, compression }));
      await folder.write(indexEntryName(digest), index);
    } catch (err: unknown) {
      log.warn({ err }, 'layer not cached: writing the entry failed');
    }
  }
}

function throwIfImageAborted(image: CachedImage, signal: AbortSignal | undefined): void {
  if (signal?.aborted !== true) return;
  const message = `inventory of image ${image.name} was aborted`;
  throw new ScanError('SCAN_ABORTED', message, { image: image.name }, { cause: signal.reason });
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
      const data = Buffer.from(chunk as Uint8Array);
      head.push(data);
      length += data.length;
      if (length >= 4) break; // leaving the loop destroys the stream
    }
  } catch {
    return undefined;
  }
  return sniffCompression(Buffer.concat(head));
}
