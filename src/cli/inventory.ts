import { randomUUID } from 'node:crypto';

import { Command, InvalidArgumentError, Option } from 'commander';
import type { DestinationStream } from 'pino';

import { CRI_NAMESPACE } from '../runtime/namespace.js';
import type { CycloneDxVersion } from './inventory-cyclonedx.js';

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
      // Loaded on use: `eraser run` (the worker) should not pay for the scanner's modules.
      const { runInventoryCommand } = await import('./inventory-action.js');
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
