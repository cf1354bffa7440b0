/** Node counts of a finished job, as the ImageJob and ImageList statuses report them. */
export interface JobCounts {
  /** Every node the job considered: targets plus skipped ones (Eraser's meaning). */
  readonly desired: number;
  readonly succeeded: number;
  readonly failed: number;
  readonly skipped: number;
}

/** Room for rounding when a ratio such as 0.7 is compared with 7/10. */
const EPSILON = 1e-9;

/**
 * The share of nodes that count as done: succeeded plus skipped over desired. Skipped nodes
 * count as done, as Eraser counts them: the user asked not to touch them, so not touching them
 * is success. A job with no nodes at all has nothing to fail: ratio 1. Computed in floating
 * point (Eraser divides integers first, so one failed node of hundreds fails the whole job).
 */
export function successRatioOf(counts: JobCounts): number {
  if (counts.desired <= 0) return 1;
  return (counts.succeeded + counts.skipped) / counts.desired;
}

/** Whether a job met the configured success ratio (0..1). */
export function meetsRatio(counts: JobCounts, required: number): boolean {
  return successRatioOf(counts) + EPSILON >= required;
}
