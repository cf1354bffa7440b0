import { writeFile } from 'node:fs/promises';

import { EraserError, errorMessage } from '../errors.js';
import { createLogger, isLogLevel, type Logger } from '../logger.js';
import { runCleanup } from '../node/cleanup.js';
import type { RunReport } from '../node/decision.js';
import { readImageListFile } from '../node/image-list.js';
import { parseDuration } from '../node/min-age.js';
import { ALL_UNUSED } from '../node/plan.js';
import { reportJson, reportTable } from '../node/report.js';
import { connectRuntime } from '../runtime/cri-client.js';
import { InvalidEndpointError, RuntimeError } from '../runtime/errors.js';
import type { ImageRuntime } from '../runtime/types.js';
import { loadExclusions } from './exclusions.js';
import { printable } from '../text/printable.js';
import { ExitCode } from './exit-codes.js';

export interface RunFlags {
  readonly runtimeEndpoint: string;
  readonly image: string[];
  readonly imageList: string[];
  readonly allUnused?: boolean;
  readonly exclude: string[];
  readonly excludeDir: string[];
  readonly dryRun?: boolean;
  readonly output: 'table' | 'json';
  readonly concurrency: number;
  readonly timeout: number;
  readonly keepSharedTags?: boolean;
  readonly skipInvalid?: boolean;
  readonly minAge?: string;
  readonly logLevel: string;
}

/** `eraser run`: every input is read and validated before the runtime is touched. */
export async function runCommand(flags: RunFlags): Promise<ExitCode> {
  const log = createLogger(isLogLevel(flags.logLevel) ? flags.logLevel : 'info');
  let runtime: ImageRuntime | undefined;
  try {
    const entries = await gatherEntries(flags);
    const exclusions = await loadExclusions(flags.exclude, flags.excludeDir);
    const minAgeLimit = readMinAgeFlag(flags.minAge);
    log.info({ entries: entries.length, dryRun: flags.dryRun === true }, 'inputs read');

    const interrupt = onSignals(log);
    runtime = await connectRuntime(flags.runtimeEndpoint, {
      timeoutMs: flags.timeout * 1000,
      logger: log,
    });
    const report = await runCleanup(
      runtime,
      {
        entries,
        exclusions,
        dryRun: flags.dryRun === true,
        concurrency: flags.concurrency,
        keepSharedTags: flags.keepSharedTags === true,
        skipInvalid: flags.skipInvalid === true,
        minAgeLimit,
        signal: interrupt.signal,
      },
      log,
    );
    interrupt.release();
    process.stdout.write(flags.output === 'json' ? reportJson(report) : reportTable(report));
    // Peak RSS of this process: operators size the worker pod's memory limit from it.
    const maxRssKiB = process.resourceUsage().maxRSS;
    log.info({ ...report.totals, dryRun: report.dryRun, maxRssKiB }, 'run finished');
    await writeSummary(process.env['ERASER_TERMINATION_LOG'], report, log);
    if (report.totals.interrupted > 0) return ExitCode.Interrupted;
    return report.totals.failed > 0 ? ExitCode.PartialFailure : ExitCode.Ok;
  } catch (err) {
    if (flags.output === 'json') process.stdout.write(errorJson(err));
    return failure(err, log);
  } finally {
    runtime?.close();
    log.flush();
  }
}

/**
 * In a worker pod the manager reads the run's totals from the container's termination message
 * (at most 4 KiB), so only the totals go there; the full report is on stdout.
 */
async function writeSummary(file: string | undefined, report: RunReport, log: Logger) {
  if (file === undefined || file === '') return;
  const summary = JSON.stringify({ totals: report.totals, dryRun: report.dryRun });
  try {
    await writeFile(file, summary);
  } catch (err) {
    log.warn({ err, file }, 'cannot write the termination summary; the manager will not count it');
  }
}

/**
 * The first SIGINT or SIGTERM (a pod being deleted) stops new removals; the ones in flight
 * finish and the report is still printed. A second signal exits at once.
 */
function onSignals(log: Logger) {
  const controller = new AbortController();
  const handler = (signal: NodeJS.Signals) => {
    if (controller.signal.aborted) process.exit(ExitCode.Interrupted);
    log.warn({ signal }, 'interrupted: finishing removals in flight, starting no more');
    controller.abort();
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    signal: controller.signal,
    release: () => {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}

/** With `-o json`, failures are JSON on stdout too, so a pipe always gets something to parse. */
function errorJson(err: unknown): string {
  const code = err instanceof EraserError ? err.code : 'INTERNAL';
  return `${JSON.stringify({ error: { code, message: errorMessage(err) } }, null, 2)}\n`;
}

function readMinAgeFlag(text: string | undefined): { text: string; ms: number } | undefined {
  return text === undefined ? undefined : { text, ms: parseDuration(text) };
}

async function gatherEntries(flags: RunFlags): Promise<string[]> {
  const entries = [...flags.image];
  // One entry at a time: spreading a list of 100k+ entries into push() overflows the stack.
  for (const file of flags.imageList) {
    for (const entry of await readImageListFile(file)) entries.push(entry);
  }
  if (flags.allUnused === true) entries.push(ALL_UNUSED);
  if (entries.length === 0) {
    const hint = 'name images with --image or --image-list, or pass --all-unused';
    throw new EraserError('NO_IMAGES', `nothing to do: ${hint}`);
  }
  return entries;
}

function failure(err: unknown, log: Logger): ExitCode {
  process.stderr.write(`eraser: ${printable(errorMessage(err))}\n`);
  // Known failures log their code and message only: a stack says nothing about a bad input,
  // and an error's own fields (every decision of a refused list) could make a huge line.
  if (err instanceof RuntimeError && !(err instanceof InvalidEndpointError)) {
    log.error({ code: err.code, error: errorMessage(err) }, 'runtime unavailable');
    return ExitCode.RuntimeUnavailable;
  }
  if (err instanceof EraserError) {
    log.error({ code: err.code, error: errorMessage(err) }, 'input rejected, nothing removed');
    return ExitCode.Usage;
  }
  log.error({ err }, 'unexpected error');
  return ExitCode.Internal;
}

export type { RunReport };
