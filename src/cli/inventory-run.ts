import pLimit from 'p-limit';

import { EraserError, errorMessage } from '../errors.js';
import type { Logger } from '../logger.js';
import { buildInventory, type InventoryOptions } from '../scanner/inventory.js';
import type { ResolvedImage } from '../scanner/sources/index.js';
import type { Inventory } from '../scanner/types.js';
import type { InventoryTarget, SourceDescription } from './inventory-targets.js';

/** What a report says about one image, apart from its inventory. */
export interface ImageFacts {
  readonly id: string;
  readonly source: ResolvedImage['source'];
  readonly manifestDigest?: string;
  readonly targetDigest?: string;
  readonly platform?: string;
  readonly names: readonly string[];
}

export type ImageResult =
  | {
      readonly status: 'inventoried';
      /** The image as the user or the source named it. */
      readonly image: string;
      readonly facts: ImageFacts;
      readonly inventory: Inventory;
    }
  | {
      readonly status: 'failed';
      readonly image: string;
      readonly error: { readonly code: string; readonly message: string };
    };

export interface InventoryReport {
  readonly source: SourceDescription;
  /** The platform picked from multi-platform images. */
  readonly platform: string;
  readonly images: readonly ImageResult[];
  readonly totals: {
    readonly images: number;
    readonly inventoried: number;
    readonly failed: number;
    readonly packages: number;
  };
}

export interface RunOptions {
  readonly concurrency: number;
  readonly clock: () => Date;
  readonly logger: Logger;
  readonly signal: AbortSignal;
  /** Builds one inventory: buildInventory by default, a cache's drop-in for it with --cache-dir. */
  readonly build?: (image: ResolvedImage, options: InventoryOptions) => Promise<Inventory>;
  /** Called after each image, done or failed (drives the progress bar). */
  readonly onImage?: (result: ImageResult) => void;
}

/**
 * Inventories every target, a few at a time. One image failing (not found, corrupt layer,
 * digest mismatch, runtime error) is recorded with its error; the others go on. Once `signal`
 * aborts, reads in flight are cancelled and images not started are recorded as INTERRUPTED.
 */
export async function inventoryAll(
  targets: readonly InventoryTarget[],
  options: RunOptions,
): Promise<ImageResult[]> {
  const limit = pLimit(options.concurrency);
  return Promise.all(
    targets.map((target) =>
      limit(async () => {
        const result = await inventoryOne(target, options);
        options.onImage?.(result);
        return result;
      }),
    ),
  );
}

async function inventoryOne(target: InventoryTarget, options: RunOptions): Promise<ImageResult> {
  if (options.signal.aborted) {
    const error = { code: 'INTERRUPTED', message: 'not read: the run was interrupted' };
    return { status: 'failed', image: target.name, error };
  }
  try {
    const resolved = await target.resolve();
    const build = options.build ?? buildInventory;
    const inventory = await build(resolved, {
      clock: options.clock,
      logger: options.logger,
      signal: options.signal,
    });
    // buildInventory logs the outcome line of a success itself.
    return { status: 'inventoried', image: target.name, facts: factsOf(resolved), inventory };
  } catch (err: unknown) {
    const code = err instanceof EraserError ? err.code : 'INTERNAL';
    options.logger.error({ err, code, image: target.name }, 'image not inventoried');
    return { status: 'failed', image: target.name, error: { code, message: errorMessage(err) } };
  }
}

function factsOf(image: ResolvedImage): ImageFacts {
  return {
    id: image.id,
    source: image.source,
    ...(image.manifestDigest === undefined ? {} : { manifestDigest: image.manifestDigest }),
    ...(image.targetDigest === undefined ? {} : { targetDigest: image.targetDigest }),
    ...(image.platform === undefined ? {} : { platform: image.platform }),
    names: image.names,
  };
}

export function summarise(
  source: SourceDescription,
  platform: string,
  images: readonly ImageResult[],
): InventoryReport {
  const done = images.filter((r) => r.status === 'inventoried');
  return {
    source,
    platform,
    images,
    totals: {
      images: images.length,
      inventoried: done.length,
      failed: images.length - done.length,
      packages: done.reduce((sum, r) => sum + r.inventory.packages.length, 0),
    },
  };
}
