import { errorMessage } from '../errors.js';
import { silentLogger, type Logger } from '../logger.js';
import { DEFAULT_ANALYZERS, type Analyzer, type AnalyzerContext } from './analyzers/index.js';
import { ScanError } from './errors.js';
import { configDiffIds } from './image-config.js';
import type { LayerContent } from './layers/layer-content.js';
import { mergeLayers, type MergedFs } from './layers/merge.js';
import { readLayer, type ReadLayerOptions } from './layers/read-layer.js';
import { resolveLimits, type ScanLimits } from './limits.js';
import { detectOs } from './os/detect.js';
import { OS_RELEASE_PATHS } from './os/os-release.js';
import type { ImageSource, Inventory, LayerSource, OsInfo, Package, ScanWarning } from './types.js';

/** Reads one layer; the default streams it, a cache may answer from disk instead. */
export type LayerReader = (layer: LayerSource, options: ReadLayerOptions) => Promise<LayerContent>;

export interface InventoryOptions {
  /** The time EOL verdicts are judged at; injected so results do not depend on the wall clock. */
  readonly clock: () => Date;
  readonly limits?: Partial<ScanLimits>;
  readonly analyzers?: readonly Analyzer[];
  readonly readLayer?: LayerReader;
  readonly logger?: Logger;
  readonly signal?: AbortSignal;
}

/**
 * Inventories one image: streams each layer once keeping only what the analysers need, merges
 * the layers, detects the OS and lists the installed packages. Throws a ScanError naming the
 * image and layer when a layer is unreadable or fails its digest; problems inside single files
 * become warnings instead.
 */
export async function buildInventory(
  image: ImageSource,
  options: InventoryOptions,
): Promise<Inventory> {
  const limits = resolveLimits(options.limits);
  const analyzers = options.analyzers ?? DEFAULT_ANALYZERS;
  const log = inventoryLogger(image, options);

  const contents = await readLayers(image, analyzers, limits, options, log);
  const fs = mergeLayers(contents, limits.maxSymlinkHops);
  const warnings: ScanWarning[] = contents.flatMap((content) => content.warnings);
  const warn = (warning: ScanWarning): void => {
    warnings.push(warning);
  };

  const os = guard(image.name, warn, () => detectOs(fs, options.clock()));
  const context = analyzerContext(image.name, fs, os, limits, warn);
  const packages = analyzers.flatMap((analyzer) => runAnalyzer(analyzer, context));

  const inventory: Inventory = {
    image: image.name,
    ...(os === undefined ? {} : { os }),
    packages: packages.map(canonicalPackage),
    layers: contents.map((c) => ({ digest: c.digest, diffId: c.diffId, files: c.files.size })),
    warnings: warnings.map(canonicalWarning),
  };
  logInventory(log, inventory);
  return inventory;
}

/** The logger of one image's inventory. */
export function inventoryLogger(image: ImageSource, options: InventoryOptions): Logger {
  return (options.logger ?? silentLogger()).child({ component: 'scanner', image: image.name });
}

/** The outcome line of one image (and a line per warning), however the inventory was made. */
export function logInventory(
  log: Logger,
  inventory: Inventory,
  fields: Record<string, unknown> = {},
): void {
  const { os, packages, warnings } = inventory;
  for (const warning of warnings) log.warn({ warning }, 'inventory incomplete');
  const counts = { packages: packages.length, warnings: warnings.length };
  log.info({ os: os?.family, ...counts, ...fields }, 'inventoried');
}

/**
 * A package with its fields in one order, whichever analyser made it: JSON reports then read
 * the same across ecosystems, and an inventory answered from the cache is byte-for-byte equal.
 * Fields every package has come first, so that the cache decoder builds the same object without
 * spreading (cache-inventory-format.ts).
 */
export function canonicalPackage(p: Package): Package {
  const { name, version, ecosystem, purl, layerDigest, path } = p;
  const canonical: Mutable<Package> = { name, version, ecosystem, purl, layerDigest, path };
  if (p.sourceName !== undefined) canonical.sourceName = p.sourceName;
  if (p.sourceVersion !== undefined) canonical.sourceVersion = p.sourceVersion;
  if (p.arch !== undefined) canonical.arch = p.arch;
  return canonical;
}

/** `T` with its fields writable, to build a value one optional field at a time. */
export type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** A warning with its fields in one order, for the same reasons as canonicalPackage. */
export function canonicalWarning(w: ScanWarning): ScanWarning {
  return {
    code: w.code,
    message: w.message,
    ...(w.layer === undefined ? {} : { layer: w.layer }),
    ...(w.path === undefined ? {} : { path: w.path }),
  };
}

async function readLayers(
  image: ImageSource,
  analyzers: readonly Analyzer[],
  limits: ScanLimits,
  options: InventoryOptions,
  log: Logger,
): Promise<LayerContent[]> {
  const diffIds = configDiffIds(image);
  const osPaths: readonly string[] = OS_RELEASE_PATHS;
  const wants = (path: string): boolean =>
    osPaths.includes(path) || analyzers.some((analyzer) => analyzer.wants(path));
  const read = options.readLayer ?? readLayer;

  const contents: LayerContent[] = [];
  for (const [index, layer] of image.layers.entries()) {
    const expectedDiffId = diffIds?.[index];
    const content = await read(layer, {
      image: image.name,
      wants,
      limits,
      ...(expectedDiffId === undefined ? {} : { expectedDiffId }),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
    log.debug(
      { layer: layer.digest, entries: content.entries, kept: content.files.size },
      'layer read',
    );
    contents.push(content);
  }
  return contents;
}

function analyzerContext(
  image: string,
  fs: MergedFs,
  os: OsInfo | undefined,
  limits: ScanLimits,
  warn: (warning: ScanWarning) => void,
): AnalyzerContext {
  return os === undefined ? { image, fs, limits, warn } : { image, fs, os, limits, warn };
}

function runAnalyzer(analyzer: Analyzer, context: AnalyzerContext): Package[] {
  return guard(context.image, context.warn, () => analyzer.analyze(context)) ?? [];
}

/** Runs a step whose failure must cost only its own results (symlink loops, for one). */
function guard<T>(image: string, warn: (w: ScanWarning) => void, step: () => T): T | undefined {
  try {
    return step();
  } catch (err: unknown) {
    const code = err instanceof ScanError ? err.code : 'SCAN_INTERNAL';
    warn({ code, message: `image ${image}: ${errorMessage(err)}` });
    return undefined;
  }
}
