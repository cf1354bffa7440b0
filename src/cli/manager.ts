import { Command, InvalidArgumentError, Option } from 'commander';

import { parseDuration } from '../api/duration.js';
import { EraserError, errorMessage } from '../errors.js';
import { createLogger, isLogLevel } from '../logger.js';
import type { RunManagerOptions, WorkerOptions } from '../controller/index.js';
import { ExitCode } from './exit-codes.js';

export interface ManagerFlags {
  readonly config?: string;
  readonly kubeconfig?: string;
  readonly namespace: string;
  readonly healthAddr: string;
  readonly metricsAddr: string;
  readonly leaderElect?: boolean;
  readonly leaseName: string;
  readonly leaseDuration: number;
  readonly renewDeadline: number;
  readonly retryPeriod: number;
  readonly podStartTimeout: number;
  readonly podRunTimeout: number;
  readonly workerUser?: number;
  readonly workerSocketGroup?: number;
  readonly workerServiceAccount?: string;
  readonly workerCommand?: string;
  readonly logLevel: string;
}

function duration(value: string): number {
  const ms = parseDuration(value);
  if (ms === undefined || ms <= 0) {
    throw new InvalidArgumentError(
      `expected a positive Go duration such as 30s or 5m, got "${value}"`,
    );
  }
  return ms;
}

function id(value: string): number {
  if (!/^\d{1,10}$/.test(value) || Number(value) > 2 ** 31 - 1) {
    throw new InvalidArgumentError(`expected a numeric user or group id, got "${value}"`);
  }
  return Number(value);
}

const DESCRIPTION = [
  'Run the eraser manager in a cluster: ImageList and ImageJob controllers, the automated',
  'schedule, leader election, /healthz and /readyz probes and Prometheus /metrics.',
  '\n\nThe EraserConfig file (--config) is watched: edits apply to the next job, never to a',
  "running one. Without --kubeconfig the manager uses its pod's service account.",
].join(' ');

function durationOption(flags: string, description: string, ms: number, shown: string): Option {
  return new Option(flags, description).argParser(duration).default(ms, shown);
}

/** The `eraser manager` subcommand; `setExit` receives the process exit code. */
export function managerCommand(setExit: (code: number) => void): Command {
  return new Command('manager')
    .summary('run the cluster manager (controllers, schedule, probes, metrics)')
    .description(DESCRIPTION)
    .exitOverride()
    .option('--config <file>', 'EraserConfig file (v1alpha1..3), reloaded when it changes')
    .addOption(
      new Option('--kubeconfig <file>', 'kubeconfig to use instead of in-cluster config').env(
        'KUBECONFIG',
      ),
    )
    .addOption(
      new Option('--namespace <ns>', 'namespace for worker pods, ConfigMaps and the lease')
        .env('POD_NAMESPACE')
        .default('eraser-system'),
    )
    .option('--health-addr <addr>', 'listen address of /healthz and /readyz', ':8081')
    .option('--metrics-addr <addr>', 'listen address of /metrics', ':8080')
    .option('--leader-elect', 'elect one active manager through a Lease (for several replicas)')
    .option('--lease-name <name>', 'name of the leader Lease', 'eraser-manager-leader')
    .addOption(
      durationOption('--lease-duration <d>', 'how long a lease holds unrenewed', 15_000, '15s'),
    )
    .addOption(
      durationOption('--renew-deadline <d>', 'how long a leader tries to renew', 10_000, '10s'),
    )
    .addOption(durationOption('--retry-period <d>', 'time between lease attempts', 2_000, '2s'))
    .addOption(
      durationOption(
        '--pod-start-timeout <d>',
        'a pod pending this long has failed',
        300_000,
        '5m',
      ),
    )
    .addOption(
      durationOption(
        '--pod-run-timeout <d>',
        'a worker running this long has failed',
        3_600_000,
        '1h',
      ),
    )
    .option('--worker-command <path>', "the worker's executable in its image (default: eraser)")
    .option('--worker-user <uid>', 'run workers as this uid (needs a socket the uid may use)', id)
    .option('--worker-socket-group <gid>', 'supplemental group that may use the runtime socket', id)
    .option(
      '--worker-service-account <name>',
      'service account of worker pods (no token is mounted)',
    )
    .addOption(
      new Option('--log-level <level>', 'log level (logs are JSON on stderr)')
        .choices(['fatal', 'error', 'warn', 'info', 'debug', 'trace'])
        .default('info'),
    )
    .action(async (flags: ManagerFlags) => {
      setExit(await manage(flags));
    });
}

/** Runs the manager until SIGTERM or SIGINT; returns the exit code. */
export async function manage(flags: ManagerFlags): Promise<number> {
  const log = createLogger(isLogLevel(flags.logLevel) ? flags.logLevel : 'info');
  const stop = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => {
    stop.abort(signal);
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  try {
    // Loaded here so that `eraser run` in worker pods never loads the Kubernetes client.
    const { loadKubeConfig, runManager } = await import('../controller/index.js');
    await runManager({
      ...managerOptions(flags),
      connection: loadKubeConfig(flags.kubeconfig),
      logger: log,
      signal: stop.signal,
    });
    // runManager resolves only after the controllers stopped and the lease went back.
    log.info({ signal: stop.signal.reason as unknown }, 'manager stopped');
    return ExitCode.Ok;
  } catch (err: unknown) {
    process.stderr.write(`eraser manager: ${errorMessage(err)}\n`);
    log.error({ err }, 'manager stopped');
    return err instanceof EraserError && err.code !== 'LEADERSHIP_LOST'
      ? ExitCode.Usage
      : ExitCode.Internal;
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    log.flush();
  }
}

/** The flags as manager options (all but the connection, logger and signal). */
function managerOptions(flags: ManagerFlags): Omit<RunManagerOptions, 'connection'> {
  return {
    namespace: flags.namespace,
    ...(flags.config === undefined ? {} : { configPath: flags.config }),
    healthAddress: flags.healthAddr,
    metricsAddress: flags.metricsAddr,
    leaderElection: flags.leaderElect === true && {
      leaseName: flags.leaseName,
      leaseDurationMs: flags.leaseDuration,
      renewDeadlineMs: flags.renewDeadline,
      retryPeriodMs: flags.retryPeriod,
    },
    worker: workerOptions(flags),
    podStartTimeoutMs: flags.podStartTimeout,
    podRunTimeoutMs: flags.podRunTimeout,
  };
}

function workerOptions(flags: ManagerFlags): WorkerOptions {
  return {
    ...(flags.workerUser === undefined ? {} : { runAsUser: flags.workerUser }),
    ...(flags.workerSocketGroup === undefined ? {} : { socketGroup: flags.workerSocketGroup }),
    ...(flags.workerCommand === undefined ? {} : { command: [flags.workerCommand] }),
    ...(flags.workerServiceAccount === undefined
      ? {}
      : { serviceAccountName: flags.workerServiceAccount }),
  };
}
