/**
 * Image-level entries of the cache: one image's finished inventory, so that a later run answers
 * an image it inventoried before without reading a layer or running an analyser.
 *
 * The key holds everything the result depends on: the image's name (warnings quote it), its ID
 * (the config digest, which the source checked the config against), its manifest digest and
 * layer digests, the analyser set, every scan limit, CACHE_FORMAT and
 * INVENTORY_RESULTS_VERSION. Only finished inventories are stored; failures are not.
 *
 * End-of-life verdicts depend on the clock, so the OS is stored without one and judged again
 * at the caller's clock on every hit (`judgeRelease`, the same as a fresh scan): a hit is what
 * a scan at that time would return, and the key need not hold the date.
 */
import { createHash } from 'node:crypto';
import type { Logger } from '../logger.js';
import type { CacheFolder } from './cache-folder.js';
import { CACHE_FORMAT, CacheFormatError, decodeEntry, encodeEntry } from './cache-format.js';
import {
  decodeInventoryPayload,
  encodeInventoryPayload,
  type StoredInventory,
} from './cache-inventory-format.js';
import type { ScanLimits } from './limits.js';
import { judgeRelease } from './os/detect.js';
import type { ImageSource, Inventory } from './types.js';

/**
 * Version of what analysers report from the same files. Bump it when that changes (a parser
 * fix, a new field, another purl form) in a way the analyser key cannot see: cached inventories
 * then miss, while layer entries stay valid.
 */
export const INVENTORY_RESULTS_VERSION = 2;

/** An image whose identity the source vouches for, as ResolvedImage does. */
export interface CachedImage extends ImageSource {
  /** The image ID: the digest of its config blob. */
  readonly id: string;
  /** The digest of the manifest read, when the source has one. */
  readonly manifestDigest?: string;
}

export interface InventoryEntryStats {
  /** Images answered from the cache: no layer read, no analyser run. */
  readonly hits: number;
  /** Images inventoried afresh. */
  readonly misses: number;
  /** Inventory entries in the folder, as last seen. */
  readonly entries: number;
}

/**
 * The key of one image's inventory. `analyzers` identifies the analyser set (its names, what
 * they keep and their code as far as it can be seen); `limits` are the resolved scan limits.
 */
export function inventoryKey(image: CachedImage, analyzers: string, limits: ScanLimits): string {
  const sortedLimits = Object.entries(limits).sort(([a], [b]) => (a < b ? -1 : 1));
  const identity = {
    format: CACHE_FORMAT,
    results: INVENTORY_RESULTS_VERSION,
    analyzers,
    limits: sortedLimits,
    name: image.name,
    id: image.id,
    manifest: image.manifestDigest ?? null,
    layers: image.layers.map((layer) => layer.digest),
  };
  return sha256Hex(JSON.stringify(identity));
}

export class InventoryEntries {
  private hits = 0;
  private misses = 0;

  constructor(
    private readonly folder: CacheFolder,
    private readonly log: Logger,
    private readonly maxBytes: number,
  ) {}

  stats(): InventoryEntryStats {
    const { entries } = this.folder.usage('.inv');
    return { hits: this.hits, misses: this.misses, entries };
  }

  /** The stored inventory of `image` under `key`, its EOL judged at `now`; undefined on a miss. */
  async lookup(key: string, image: string, now: Date): Promise<Inventory | undefined> {
    const stored = await this.folder.load(entryName(key), (file) => {
      const decoded = decodeInventoryPayload(decodeEntry('inventory', file));
      if (decoded.key !== key || decoded.inventory.image !== image) {
        throw new CacheFormatError('foreign', `entry holds ${decoded.inventory.image}`);
      }
      return decoded.inventory;
    });
    if (stored === undefined) {
      this.misses += 1;
      this.log.debug({ image }, 'inventory cache miss: reading the image');
      return undefined;
    }
    this.hits += 1;
    this.log.debug({ image }, 'inventory cache hit');
    return judged(stored, now);
  }

  /** Stores a finished inventory; a failure costs only the caching. */
  async store(key: string, inventory: Inventory): Promise<void> {
    const log = this.log.child({ image: inventory.image });
    try {
      const entry = encodeEntry('inventory', encodeInventoryPayload(key, inventory));
      const size = entry.reduce((sum, chunk) => sum + chunk.length, 0);
      if (size > this.maxBytes) {
        log.info({ size, maxBytes: this.maxBytes }, 'inventory not cached: over the bound');
        return;
      }
      await this.folder.write(entryName(key), entry);
    } catch (err: unknown) {
      log.warn({ err }, 'inventory not cached: writing the entry failed');
    }
  }
}

function judged(stored: StoredInventory, now: Date): Inventory {
  const { image, os, packages, layers, warnings } = stored;
  const withOs = os === undefined ? { image } : { image, os: judgeRelease(os, now) };
  return { ...withOs, packages, layers, warnings };
}

function entryName(key: string): string {
  return `${sha256Hex(`inventory\n${key}`)}.inv`;
}

function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
