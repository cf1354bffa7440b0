import type { NodeFailure } from './job-plan.js';
import { successRatioOf, type JobCounts } from './ratio.js';

const SHOWN_FAILURES = 5;

/** "3 nodes: 2 succeeded, 1 failed, 0 skipped". */
export function countsText(c: JobCounts): string {
  return `${c.desired} nodes: ${c.succeeded} succeeded, ${c.failed} failed, ${c.skipped} skipped`;
}

/** The ratio sentence: how many counted as done against what the config requires. */
export function ratioText(c: JobCounts, required: number): string {
  const ratio = successRatioOf(c);
  const verdict = ratio + 1e-9 >= required ? 'meets' : 'is below';
  return `success ratio ${ratio.toFixed(3)} ${verdict} the required ${required.toFixed(3)}`;
}

/** The first few failed nodes with their reasons, for events and conditions. */
export function failuresText(failures: ReadonlyMap<string, NodeFailure>): string {
  if (failures.size === 0) return '';
  const shown = [...failures]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .slice(0, SHOWN_FAILURES)
    .map(([node, f]) => `${node} (${f.reason}: ${f.message})`);
  const more = failures.size > SHOWN_FAILURES ? ` and ${failures.size - SHOWN_FAILURES} more` : '';
  return `failed nodes: ${shown.join('; ')}${more}`;
}

/** Count of failures per reason, for the pods-failed metric. */
export function failuresByReason(failures: ReadonlyMap<string, NodeFailure>): Map<string, number> {
  const out = new Map<string, number>();
  for (const { reason } of failures.values()) out.set(reason, (out.get(reason) ?? 0) + 1);
  return out;
}

export function jobSummary(
  jobName: string,
  counts: JobCounts,
  required: number,
  failures: ReadonlyMap<string, NodeFailure>,
): string {
  const parts = [`${jobName} finished on ${countsText(counts)}`, ratioText(counts, required)];
  const failed = failuresText(failures);
  return failed === '' ? parts.join('; ') : `${parts.join('; ')}; ${failed}`;
}
