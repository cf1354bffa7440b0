import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { EraserError, errorMessage } from '../../errors.js';
import { ScanError } from '../errors.js';
import type { ScanLimits } from '../limits.js';
import type { LayerSource } from '../types.js';
import { LayerCollector, type WantsFile } from './collector.js';
import { decompressStage, type Compression, type DecompressStage } from './decompress.js';
import type { LayerContent } from './layer-content.js';
import { ByteLimitError, Meter, digestAlgorithm } from './meter.js';

export interface ReadLayerOptions {
  /** Image name for errors. */
  readonly image: string;
  /** Which regular files to keep in memory, by normalised path. */
  readonly wants: WantsFile;
  readonly limits: ScanLimits;
  /** The layer's diff ID from the image config; the uncompressed bytes are checked against it. */
  readonly expectedDiffId?: string;
  readonly signal?: AbortSignal;
}

/**
 * Streams one layer blob (tar, tar+gzip or tar+zstd) once, without touching the disk, and returns
 * what it contributes. Fails with a ScanError naming the image and layer when the blob is corrupt,
 * passes a limit, or does not match its digest.
 */
export async function readLayer(
  layer: LayerSource,
  options: ReadLayerOptions,
): Promise<LayerContent> {
  const context = { image: options.image, layer: layer.digest, mediaType: layer.mediaType };
  const algorithm = digestAlgorithm(layer.digest);
  if (algorithm === undefined) {
    const message = `layer digest "${layer.digest}" of image ${options.image}: not sha256/sha512`;
    throw new ScanError('SCAN_BAD_CONFIG', message, context);
  }

  const { limits } = options;
  const collector = new LayerCollector(layer.digest, options.image, options.wants, limits);
  const compressed = new Meter(algorithm, limits.maxCompressedBytes);
  const uncompressed = new Meter('sha256', limits.maxLayerBytes);
  let compression: Compression = 'none';
  const decompress = decompressStage(limits.maxZstdWindowBytes, (kind) => (compression = kind));

  await stream(layer, { compressed, decompress, uncompressed }, collector, options.signal).catch(
    (err: unknown) => {
      throw layerError(err, { ...context, compression }, limits);
    },
  );

  const diffId = uncompressed.digest();
  checkDigests(layer.digest, compressed.digest(), options.expectedDiffId, diffId, context);
  return {
    digest: layer.digest,
    diffId,
    compression,
    entries: collector.entries,
    files: collector.files,
    links: collector.links,
    whiteouts: collector.whiteouts,
    opaqueDirs: collector.opaqueDirs,
    unreadable: [...collector.unreadable],
    otherFiles: collector.otherFiles.build(),
    dirs: collector.dirs.build(),
    warnings: collector.finalWarnings(),
  };
}

interface Stages {
  readonly compressed: Meter;
  readonly decompress: DecompressStage;
  readonly uncompressed: Meter;
}

async function stream(
  layer: LayerSource,
  stages: Stages,
  collector: LayerCollector,
  signal: AbortSignal | undefined,
): Promise<void> {
  const extract = tar.extract();
  const options = signal === undefined ? {} : { signal };
  const { compressed, decompress, uncompressed } = stages;
  const piping = pipeline(layer.open(), compressed, decompress, uncompressed, extract, options);
  const consuming = (async () => {
    for await (const entry of extract) await collector.onEntry(entry.header, entry);
  })().catch((err: unknown) => {
    extract.destroy(err instanceof Error ? err : new Error(String(err)));
    throw err;
  });

  // Both settle before returning so that the source stream is closed whichever side failed.
  const [piped, consumed] = await Promise.allSettled([piping, consuming]);
  if (consumed.status === 'rejected' && consumed.reason instanceof ScanError) throw consumed.reason;
  if (piped.status === 'rejected') throw piped.reason;
  if (consumed.status === 'rejected') throw consumed.reason;
}

function layerError(err: unknown, context: Record<string, unknown>, limits: ScanLimits): Error {
  if (err instanceof EraserError) return withContext(err, context);
  const where = `layer ${String(context['layer'])} of image ${String(context['image'])}`;
  if (err instanceof ByteLimitError) {
    const message = `${where} passes the read limit of ${err.limit} bytes (decompression bomb?)`;
    return new ScanError('SCAN_LIMIT', message, { ...context, limit: err.limit }, { cause: err });
  }
  if (err instanceof Error && err.name === 'AbortError') {
    return new ScanError('SCAN_ABORTED', `reading ${where} was aborted`, context, { cause: err });
  }
  const message = `${where} is not a readable tar stream: ${errorMessage(err)}`;
  return new ScanError('SCAN_LAYER_CORRUPT', message, { ...context, limits }, { cause: err });
}

/**
 * A typed error from the source (a runtime timeout, a blob the store lost) or the collector
 * passes on with its class, code, message, cause and stack: callers classify failures by them.
 * When its context lacks the image or layer, a copy of it carries them too (its own keys win).
 */
function withContext(err: EraserError, context: Record<string, unknown>): EraserError {
  if ('image' in err.context && 'layer' in err.context) return err;
  const own = Object.getOwnPropertyDescriptors(err);
  const merged = { ...context, ...err.context };
  const prototype = Object.getPrototypeOf(err) as object;
  return Object.create(prototype, {
    ...own,
    context: { ...own.context, value: merged },
  }) as EraserError;
}

function checkDigests(
  digest: string,
  actual: string,
  expectedDiffId: string | undefined,
  diffId: string,
  context: Record<string, unknown>,
): void {
  const where = `layer ${digest} of image ${String(context['image'])}`;
  if (actual !== digest) {
    const message = `${where} does not match its digest: the blob hashes to ${actual}`;
    throw new ScanError('SCAN_DIGEST_MISMATCH', message, { ...context, actual });
  }
  if (expectedDiffId !== undefined && expectedDiffId !== diffId) {
    const message = `${where} uncompresses to ${diffId}, not the config diff ID ${expectedDiffId}`;
    throw new ScanError('SCAN_DIGEST_MISMATCH', message, { ...context, diffId, expectedDiffId });
  }
}
