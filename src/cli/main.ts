import { Command, InvalidArgumentError, Option } from 'commander';

import { EXIT_CODE_HELP, ExitCode } from './exit-codes.js';
import { inventoryCommand } from './inventory.js';
import { managerCommand } from './manager.js';
import type { RunFlags } from './run.js';

const DEFAULT_ENDPOINT = 'unix:///run/containerd/containerd.sock';

/** Builds the `eraser` command tree. Actions store their exit code instead of exiting. */
export function buildProgram(setExit: (code: number) => void): Command {
  const program = new Command('eraser')
    .description('Remove unused container images from a node, safely, with a report.')
    .exitOverride()
    .showHelpAfterError();
  program.addCommand(runCmd(setExit));
  program.addCommand(inventoryCommand(setExit));
  program.addCommand(managerCommand(setExit));
  return program;
}

function runCmd(setExit: (code: number) => void): Command {
  return new Command('run')
    .summary('remove unused images named by a list (or all of them) from one node')
    .description(RUN_DESCRIPTION)
    .exitOverride()
    .addOption(
      new Option('-r, --runtime-endpoint <endpoint>', 'CRI socket: unix:///path or /path')
        .env('ERASER_RUNTIME_ENDPOINT')
        .default(DEFAULT_ENDPOINT),
    )
    .option('-i, --image <ref>', 'image to remove: tag, digest or ID (repeat)', collect, [])
    .option(
      '-f, --image-list <file>',
      'ImageList manifest, list or one ref per line (repeat)',
      collect,
      [],
    )
    .option('-a, --all-unused', 'remove every image no container uses (same as --image "*")')
    .option('-e, --exclude <pattern>', 'never remove matching images (repeat)', collect, [])
    .option(
      '-E, --exclude-dir <dir>',
      'folder of {"excluded": [...]} JSON files (repeat)',
      collect,
      [],
    )
    .option('-n, --dry-run', 'decide and report, remove nothing')
    .addOption(
      new Option('-o, --output <format>', 'report format')
        .choices(['table', 'json'])
        .default('table'),
    )
    .option('-c, --concurrency <n>', 'removals in flight at once', positiveInt, 8)
    .option('--timeout <seconds>', 'deadline for each runtime call', positiveInt, 10)
    .option('--keep-shared-tags', 'keep an image if the list names only some of its tags')
    .option('--skip-invalid', 'go on when some list entries are invalid (default: refuse)')
    .option(
      '--min-age <duration>',
      'keep images that arrived on the node less than this long ago, e.g. 12h, 7d, 1w2d ' +
        '(containerd)',
    )
    .addOption(
      new Option('--log-level <level>', 'structured log level (logs go to stderr)')
        .choices(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
        .default('info'),
    )
    .addHelpText('after', RUN_EXAMPLES + EXIT_CODE_HELP)
    .action(async (flags: RunFlags) => {
      // Loaded on use: the manager and inventory commands need none of the worker's gRPC code.
      const { runCommand } = await import('./run.js');
      setExit(await runCommand(flags));
    });
}

const RUN_DESCRIPTION = [
  'Remove images from the node whose runtime listens on --runtime-endpoint.',
  'An image is removed only when it was asked for (by --image, --image-list or --all-unused), ' +
    'no container in any state and no pod sandbox uses it, it is not pinned, and no exclusion ' +
    'matches any of its tags, digests or its ID. Use is checked again right before each removal.',
  'References are normalised as runtimes do: "alpine" means docker.io/library/alpine:latest.',
  'Removing one tag of an image that has several removes the image with all its tags (that is ' +
    'what the runtime does); the report lists every tag that went. --keep-shared-tags keeps ' +
    'such an image unless every tag is named, or it is named by ID or digest.',
].join('\n\n');

const RUN_EXAMPLES = `
Examples:
  # see what would go, without removing anything
  eraser run -r unix:///run/containerd/containerd.sock --all-unused --dry-run

  # remove two images unless something uses them; keep anything from our registry
  eraser run -i alpine:3.7 -i sha256:4f1c… -e 'registry.example.com/*'

  # the same list and exclusions the cluster uses, report as JSON
  eraser run -f imagelist.yaml -E /etc/eraser/exclusions -o json
`;

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function positiveInt(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 10_000) {
    throw new InvalidArgumentError(`expected a whole number from 1 to 10000, got "${value}"`);
  }
  return Number(value);
}

/** Runs the CLI and returns the process exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  let code: number = ExitCode.Ok;
  const program = buildProgram((c) => (code = c));
  try {
    await program.parseAsync([...argv]);
  } catch (err) {
    const exit = commanderExit(err);
    if (exit !== ExitCode.Ok && wantsJson(argv)) writeJsonError(err);
    return exit;
  }
  return code;
}

/**
 * Whether the command line asked for JSON output. Flag errors happen before options are parsed,
 * so the raw arguments are read: a script that asked for JSON gets JSON on every failure.
 */
function wantsJson(argv: readonly string[]): boolean {
  // The last -o wins, as it does when options are parsed.
  let format: string | undefined;
  argv.forEach((arg, i) => {
    if (/^(-o|--output)$/.test(arg)) format = argv[i + 1];
    else if (arg.startsWith('--output=')) format = arg.slice('--output='.length);
    else if (/^-o./.test(arg)) format = arg.slice(2);
  });
  return format === 'json';
}

function writeJsonError(err: unknown): void {
  const e = err as { code?: unknown; message?: unknown };
  // commander.unknownOption → USAGE_UNKNOWN_OPTION, in the style of the other error codes.
  const code =
    typeof e.code === 'string'
      ? e.code
          .replace(/^commander\./, 'usage_')
          .replace(/([a-z])([A-Z])/g, '$1_$2')
          .toUpperCase()
      : 'INTERNAL';
  const message = typeof e.message === 'string' ? e.message.replace(/^error: /, '') : String(err);
  process.stdout.write(`${JSON.stringify({ error: { code, message } }, null, 2)}\n`);
}

function commanderExit(err: unknown): number {
  const e = err as { code?: unknown; exitCode?: unknown };
  if (typeof e.code === 'string' && e.code.startsWith('commander.')) {
    const helpShown = e.code === 'commander.helpDisplayed' || e.code === 'commander.version';
    return helpShown || e.exitCode === 0 ? ExitCode.Ok : ExitCode.Usage;
  }
  process.stderr.write(`eraser: ${String(err)}\n`);
  return ExitCode.Internal;
}
