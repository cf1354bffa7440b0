/** Bounds that keep one hostile image from taking unbounded memory or time. */
export interface ScanLimits {
  /** Decompressed bytes read from one layer. */
  readonly maxLayerBytes: number;
  /** Compressed bytes read from one layer blob. */
  readonly maxCompressedBytes: number;
  /** Size of one file kept in memory for an analyser. */
  readonly maxFileBytes: number;
  /** Total size of the files kept from one layer. */
  readonly maxKeptBytes: number;
  /** Tar entries in one layer. */
  readonly maxEntries: number;
  /** Symlinks and hard links remembered from one layer. */
  readonly maxLinks: number;
  /** Links followed while resolving one path. */
  readonly maxSymlinkHops: number;
  /** Packages read from one database or manifest tree. */
  readonly maxPackagesPerDb: number;
  /** Largest zstd window a frame may ask for (the zstd CLI refuses more than 128 MiB too). */
  readonly maxZstdWindowBytes: number;
}

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

export const DEFAULT_LIMITS: ScanLimits = {
  maxLayerBytes: 8 * GiB,
  maxCompressedBytes: 8 * GiB,
  maxFileBytes: 64 * MiB,
  maxKeptBytes: 512 * MiB,
  maxEntries: 2_000_000,
  maxLinks: 200_000,
  maxSymlinkHops: 40,
  maxPackagesPerDb: 200_000,
  maxZstdWindowBytes: 128 * MiB,
};

export function resolveLimits(overrides: Partial<ScanLimits> = {}): ScanLimits {
  return { ...DEFAULT_LIMITS, ...overrides };
}
