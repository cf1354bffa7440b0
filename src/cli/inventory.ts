import { randomUUID } from 'node:crypto';

import { Presets, SingleBar } from 'cli-progress';
import { Command, InvalidArgumentError, Option } from 'commander';
import type { DestinationStream } from 'pino';

import { EraserError, errorMessage } from '../errors.js';
import { createLogger, isLogLevel, type Logger } from '../logger.js';
import { CRI_NAMESPACE } from '../runtime/containerd-client.js';
import { InvalidEndpointError, RuntimeError } from '../runtime/errors.js';
import { openLayerCache, type LayerCache } from '../scanner/cache.js';
import { formatPlatform, nodePlatform, parsePlatform } from '../scanner/sources/index.js';
import { ExitCode } from './exit-codes.js';
import { inventoryCycloneDx, type CycloneDxVersion } from './inventory-cyclonedx.js';
import { inventoryJson, inventoryTable } from './inventory-output.js';
import { inventoryAll, summarise, type InventoryReport } from './inventory-run.js';
import {
  openContainerd,
  openDockerArchive,
  openOciLayout,
  type OpenedSource,
  type SourceRequest,
} from './inventory-targets.js';

/** The same default as `eraser run`; tests always pass their own endpoint. */
const DEFAULT_ENDPOINT = 'unix:///run/containerd/containerd.sock';

export interface InventoryFlags {
  readonly runtimeEndpoint: string;
  readonly namespace: string;
  readonly all?: boolean;
  readonly ociLayout?: string;
  readonly dockerArchive?: string;
  readonly output: 'table' | 'json' | 'cyclonedx';
  readonly cyclonedxVersion: CycloneDxVersion;
  readonly platform?: string;
  readonly cacheDir?: string;
  readonly concurrency: number;
  readonly timeout: number;
  readonly logLevel: string;
}

/** The process around the command; tests pass their own streams, clock and ids. */
export interface InventoryIo {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: NodeJS.WritableStream & { readonly isTTY?: boolean };
  readonly clock: () => Date;
  readonly randomUUID: () => string;
  /** Where structured logs go; stderr (fd 2) when absent. */
  readonly logDestination?: DestinationStream;
  /** Abort reads on SIGINT/SIGTERM (the real process only). */
  readonly handleSignals?: boolean;
}

export function processIo(): InventoryIo {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    clock: () => new Date(),
    randomUUID,
    handleSignals: true,
  };
}

/** `eraser inventory`: list the OS and packages of images, as a table, JSON or CycloneDX. */
export function inventoryCommand(
  setExit: (code: number) => void,
  io: InventoryIo = processIo(),
): Command {
  return new Command('inventory')
    .summary('list the OS and packages of images on a node, in an OCI layout or a docker archive')
    .description(DESCRIPTION)
    .exitOverride()
    .argument('[images...]', 'images to read: tag, digest reference or ID')
    .addOption(
      new Option('-r, --runtime-endpoint <endpoint>', 'containerd socket: unix:///path or /path')
        .env('ERASER_RUNTIME_ENDPOINT')
        .default(DEFAULT_ENDPOINT),
    )
    .option('-n, --namespace <name>', 'containerd namespace', CRI_NAMESPACE)
    .option('-a, --all', 'every image on the node (or in the layout or archive)')
    .addOption(
      new Option('--oci-layout <dir>', 'read an OCI image layout folder instead of a node'),
    )
    .addOption(
      new Option('--docker-archive <file>', 'read a `docker save` tar instead of a node').conflicts(
        'ociLayout',
      ),
    )
    .addOption(
      new Option('-o, --output <format>', 'report format')
        .choices(['table', 'json', 'cyclonedx'])
        .default('table'),
    )
    .addOption(
      new Option('--cyclonedx-version <version>', 'CycloneDX spec version')
        .choices(['1.5', '1.6'])
        .default('1.6'),
    )
    .option('--platform <os/arch[/variant]>', 'platform to pick from multi-platform images')
    .option(
      '--cache-dir <dir>',
      'reuse layer reads and finished inventories across images and runs (created if missing)',
    )
    .option('-c, --concurrency <n>', 'images read at once', positiveInt, 2)
    .option(
      '--timeout <seconds>',
      'deadline of each runtime call, and of silence in a read',
      positiveInt,
      10,
    )
    .addOption(
      new Option('--log-level <level>', 'structured log level (logs go to stderr)')
        .choices(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
        .default('warn'),
    )
    .addHelpText('after', EXAMPLES + EXIT_HELP)
    .action(async (refs: string[], flags: InventoryFlags) => {
      setExit(await runInventoryCommand(refs, flags, io));
    });
}

const DESCRIPTION = [
  'Read images without running or unpacking them and list their OS (with its end-of-life ' +
    'verdict) and installed packages: dpkg, apk, rpm, npm and Python.',
  "From a node, images are read through containerd's own content API on --runtime-endpoint " +
    '(namespace k8s.io, where the CRI keeps Kubernetes images). From multi-platform images ' +
    "the node's platform is read unless --platform says otherwise. Every blob is checked " +
    'against its digest.',
  'One image that cannot be read does not stop the others: it is reported with its error and ' +
    'the exit code is 4.',
].join('\n\n');

const EXAMPLES = `
Examples:
  # two images on this node, as a table
  eraser inventory nginx:1.27 sha256:4f1c…

  # every image on the node as one CycloneDX BOM, reusing earlier reads and inventories
  eraser inventory --all -o cyclonedx --cache-dir /var/cache/eraser > node.cdx.json

  # an image saved with docker save, or copied with skopeo to an OCI layout
  eraser inventory --docker-archive app.tar -o json
  eraser inventory --oci-layout ./layout app:1.0
`;

/** The codes of src/cli/exit-codes.ts, in what they mean for an inventory. */
const EXIT_HELP = `
Exit codes:
  0  every image was inventoried
  1  unexpected error
  2  bad input (flags, an unreadable layout or archive); nothing was read
  3  runtime unreachable or not containerd; nothing was read
  4  partial failure: some images could not be read, the report says which and why
  5  interrupted (SIGINT/SIGTERM): reads in flight were cancelled, the rest not started;
     the report lists which images were read`;

function positiveInt(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 10_000) {
    throw new InvalidArgumentError(`expected a whole number from 1 to 10000, got "${value}"`);
  }
  return Number(value);
}

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

async function runInventoryCommand(
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
      onImage: (result) => progress?.increment({ image: result.image }),
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
    io.stderr.write(`eraser: ${result.image} not inventoried: ${result.error.message}\n`);
  }
}

function failure(err: unknown, log: Logger, io: InventoryIo): ExitCode {
  io.stderr.write(`eraser: ${errorMessage(err)}\n`);
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
