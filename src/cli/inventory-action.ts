/** The body of `eraser inventory`, loaded only when that command runs. */
import { Presets, SingleBar } from 'cli-progress';

import { EraserError, errorMessage } from '../errors.js';
import { InvalidReferenceError, parseReference } from '../images/reference.js';
import { createLogger, isLogLevel, type Logger } from '../logger.js';
import { InvalidEndpointError, RuntimeError } from '../runtime/errors.js';
import { openLayerCache, type LayerCache } from '../scanner/cache.js';
import { formatPlatform, nodePlatform, parsePlatform } from '../scanner/sources/index.js';
import { ExitCode } from './exit-codes.js';
import { inventoryCycloneDx } from './inventory-cyclonedx.js';
import { inventoryJson, inventoryTable } from './inventory-output.js';
import { inventoryAll, summarise, type InventoryReport } from './inventory-run.js';
import { printable } from '../text/printable.js';
import {
  openContainerd,
  openDockerArchive,
  openOciLayout,
  requirePlatform,
  type OpenedSource,
  type SourceRequest,
} from './inventory-targets.js';

import type { InventoryFlags, InventoryIo } from './inventory.js';

function checkInputs(refs: readonly string[], flags: InventoryFlags): void {
  const fromFile = flags.ociLayout !== undefined || flags.dockerArchive !== undefined;
  if (flags.all === true && refs.length > 0) {
    throw new EraserError('INVENTORY_USAGE', 'name images or pass --all, not both', {
      images: refs,
    });
  }
  if (!fromFile && flags.all !== true && refs.length === 0) {
    const hint = 'name images, pass --all, or read --oci-layout DIR or --docker-archive FILE';
    throw new EraserError('INVENTORY_USAGE', `nothing to do: ${hint}`);
  }
  for (const ref of refs) checkReference(ref, fromFile);
}

/**
 * Refs are checked before anything is read, as `eraser run` checks its list. A layout's ref
 * name may also be a bare tag outside the reference grammar (`V1`), so file sources accept any
 * printable ASCII word there; what they hold is matched exactly.
 */
function checkReference(ref: string, fromFile: boolean): void {
  try {
    parseReference(ref);
  } catch (err: unknown) {
    if (!(err instanceof InvalidReferenceError)) throw err;
    if (!fromFile || !/^[\x21-\x7e]{1,1024}$/.test(ref)) throw err;
  }
}

function openSource(
  refs: readonly string[],
  flags: InventoryFlags,
  request: Omit<SourceRequest, 'refs' | 'all'>,
): Promise<OpenedSource> {
  const full = { ...request, refs, all: flags.all === true };
  if (flags.ociLayout !== undefined) return openOciLayout(flags.ociLayout, full);
  if (flags.dockerArchive !== undefined) return openDockerArchive(flags.dockerArchive, full);
  return openContainerd({
    ...full,
    endpoint: flags.runtimeEndpoint,
    namespace: flags.namespace,
    timeoutMs: flags.timeout * 1000,
  });
}

export async function runInventoryCommand(
  refs: readonly string[],
  flags: InventoryFlags,
  io: InventoryIo,
): Promise<ExitCode> {
  const level = isLogLevel(flags.logLevel) ? flags.logLevel : 'warn';
  const log = createLogger(level, io.logDestination);
  const controller = new AbortController();
  const stopSignals = io.handleSignals === true ? abortOnSignals(controller, log) : () => undefined;
  let source: OpenedSource | undefined;
  let cache: LayerCache | undefined;
  try {
    checkInputs(refs, flags);
    const platform = flags.platform === undefined ? nodePlatform() : parsePlatform(flags.platform);
    // Time spent inventorying, start-up and output aside (bench/inventory.ts reads it).
    const started = performance.now();
    if (flags.cacheDir !== undefined)
      cache = await openLayerCache({ dir: flags.cacheDir, logger: log });
    source = await openSource(refs, flags, { platform, logger: log, signal: controller.signal });
    if (flags.platform !== undefined) source = requirePlatform(source, platform);

    const run = { flags, io, log, cache, signal: controller.signal };
    const report = await inventory(source, formatPlatform(platform), run);
    const inventoryMs = Math.round(performance.now() - started);
    io.stdout.write(render(report, flags, io));
    if (flags.output !== 'table') reportFailures(report, io);
    const maxRssKiB = process.resourceUsage().maxRSS;
    const stats = { ...report.totals, cache: cache?.stats(), inventoryMs, maxRssKiB };
    log.info(stats, 'inventory finished');
    if (controller.signal.aborted) return ExitCode.Interrupted;
    return report.totals.failed > 0 ? ExitCode.PartialFailure : ExitCode.Ok;
  } catch (err: unknown) {
    if (flags.output === 'json') io.stdout.write(errorJson(err));
    return failure(err, log, io);
  } finally {
    stopSignals();
    source?.close();
    await cache?.close();
    log.flush();
  }
}

interface RunContext {
  readonly flags: InventoryFlags;
  readonly io: InventoryIo;
  readonly log: Logger;
  readonly cache: LayerCache | undefined;
  readonly signal: AbortSignal;
}

async function inventory(
  source: OpenedSource,
  platform: string,
  { flags, io, log, cache, signal }: RunContext,
): Promise<InventoryReport> {
  const progress = startProgress(io, source.targets.length);
  try {
    const images = await inventoryAll(source.targets, {
      concurrency: flags.concurrency,
      clock: io.clock,
      logger: log,
      signal,
      ...(cache === undefined ? {} : { build: cache.buildInventory }),
      onImage: (result) => progress?.increment({ image: printable(result.image) }),
    });
    return summarise(source.description, platform, images);
  } finally {
    progress?.stop();
  }
}

/** A progress bar on stderr, only for a person watching several images being read. */
function startProgress(io: InventoryIo, total: number): SingleBar | undefined {
  if (io.stderr.isTTY !== true || total < 2) return undefined;
  const bar = new SingleBar(
    {
      stream: io.stderr,
      format: 'inventory [{bar}] {value}/{total} images  {image}',
      hideCursor: true,
      clearOnComplete: true,
    },
    Presets.shades_classic,
  );
  bar.start(total, 0, { image: '' });
  return bar;
}

function render(report: InventoryReport, flags: InventoryFlags, io: InventoryIo): string {
  switch (flags.output) {
    case 'table':
      return inventoryTable(report);
    case 'json':
      return inventoryJson(report);
    case 'cyclonedx':
      return inventoryCycloneDx(report, {
        specVersion: flags.cyclonedxVersion,
        timestamp: io.clock(),
        serialNumber: `urn:uuid:${io.randomUUID()}`,
      });
  }
}

function reportFailures(report: InventoryReport, io: InventoryIo): void {
  for (const result of report.images) {
    if (result.status !== 'failed') continue;
    const line = `eraser: ${result.image} not inventoried: ${result.error.message}`;
    io.stderr.write(`${printable(line)}\n`);
  }
}

/** A JSON reader gets a document on stdout even when nothing was read, as `eraser run` does. */
function errorJson(err: unknown): string {
  const code = err instanceof EraserError ? err.code : 'INTERNAL';
  return `${JSON.stringify({ error: { code, message: errorMessage(err) } }, null, 2)}\n`;
}

function failure(err: unknown, log: Logger, io: InventoryIo): ExitCode {
  io.stderr.write(`eraser: ${printable(errorMessage(err))}\n`);
  if (err instanceof RuntimeError && !(err instanceof InvalidEndpointError)) {
    log.error({ err, code: err.code }, 'runtime unavailable');
    return ExitCode.RuntimeUnavailable;
  }
  if (err instanceof EraserError) {
    log.error({ err, code: err.code }, 'input rejected');
    return ExitCode.Usage;
  }
  log.error({ err }, 'unexpected error');
  return ExitCode.Internal;
}

/** Ctrl-C cancels the reads in flight (gRPC calls, file streams) instead of leaving them. */
function abortOnSignals(controller: AbortController, log: Logger): () => void {
  const onSignal = (signal: NodeJS.Signals): void => {
    log.warn({ signal }, 'interrupted: cancelling reads');
    controller.abort(new EraserError('INTERRUPTED', `interrupted by ${signal}`));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
}
