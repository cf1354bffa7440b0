import type { EraserConfig, ScannerComponentConfig } from '../api/config.js';

/** Manual jobs remove what an ImageList names; automated ones collect, scan, then remove. */
export type JobKind = 'manual' | 'automated';

/** Paths inside the worker container, fixed by the pod template. */
export const WORKER_PATHS = {
  socket: '/run/eraser.sh/cri.sock',
  jobDir: '/run/eraser.sh/job',
  imageList: '/run/eraser.sh/job/images.json',
  exclusionDir: '/run/eraser.sh/exclusions',
  tmp: '/tmp',
  terminationLog: '/dev/termination-log',
} as const;

/**
 * The scan step of automated jobs. A scanner contributes worker arguments that limit removal
 * to the images its verdict condemns. Until one is plugged in, automated jobs with the scanner
 * enabled are refused (never widened to "remove everything unused").
 */
export interface ScannerStep {
  readonly name: string;
  args(scanner: ScannerComponentConfig): string[];
}

export type PipelineResult =
  | { readonly ok: true; readonly args: string[]; readonly container: string }
  | { readonly ok: false; readonly reason: string; readonly message: string };

function commonArgs(config: EraserConfig, hasExclusions: boolean): string[] {
  const exclusions = hasExclusions ? ['--exclude-dir', WORKER_PATHS.exclusionDir] : [];
  const { minAgeMs } = config.components.remover;
  // Whole seconds, rounded up: the worker's flag has no fractions, and rounding down could
  // remove an image a moment younger than asked.
  const minAge = minAgeMs > 0 ? ['--min-age', `${Math.ceil(minAgeMs / 1000)}s`] : [];
  return [
    '--runtime-endpoint',
    `unix://${WORKER_PATHS.socket}`,
    ...exclusions,
    ...minAge,
    '--output',
    'json',
    '--log-level',
    config.manager.logLevel,
  ];
}

function automatedSteps(config: EraserConfig, scanner: ScannerStep | undefined): PipelineResult {
  const { collector, scanner: scan } = config.components;
  if (!collector.enabled) {
    const message = 'components.collector.enabled is false: automated runs are off';
    return { ok: false, reason: 'CollectorDisabled', message };
  }
  if (!scan.enabled) return { ok: true, args: ['--all-unused'], container: 'collector' };
  if (scanner === undefined) {
    const message =
      'components.scanner.enabled is true but this manager has no scanner step; set it to ' +
      'false to remove every unused image on schedule';
    return { ok: false, reason: 'ScannerUnavailable', message };
  }
  return { ok: true, args: ['--all-unused', ...scanner.args(scan)], container: 'collector' };
}

/**
 * The worker command line for a job. Manual: remove the listed images (`--image-list`).
 * Automated: collect every image and remove the unused ones (`--all-unused`), narrowed by the
 * scanner step when the scanner is enabled.
 */
export function workerPipeline(
  kind: JobKind,
  config: EraserConfig,
  hasExclusions: boolean,
  scanner?: ScannerStep,
): PipelineResult {
  const common = commonArgs(config, hasExclusions);
  if (kind === 'manual') {
    const args = ['run', '--image-list', WORKER_PATHS.imageList, ...common];
    return { ok: true, args, container: 'remover' };
  }
  const steps = automatedSteps(config, scanner);
  return steps.ok ? { ...steps, args: ['run', ...steps.args, ...common] } : steps;
}
