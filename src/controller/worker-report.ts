/**
 * What the manager learns from a finished worker pod: the totals of the worker's report, read
 * from the container's termination message. The worker writes its report there (the file the
 * pod names in ERASER_TERMINATION_LOG, /dev/termination-log); Kubernetes caps the message at
 * 4 KiB, so a compact summary or the full `eraser run -o json` report both fit in most cases,
 * and anything else (a log tail from FallbackToLogsOnError, truncated JSON) reads as "no
 * summary" rather than as wrong numbers.
 */

export interface WorkerSummary {
  /** Images the worker removed on its node. */
  readonly removed: number;
  /** Removals that failed. */
  readonly failed: number;
  /** Images on the node when it ran, when reported. */
  readonly images?: number;
}

const MAX_MESSAGE = 64 * 1024;

function count(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : undefined;
}

function totalsOf(doc: unknown): Record<string, unknown> | undefined {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return undefined;
  const record = doc as Record<string, unknown>;
  const totals = record['totals'];
  if (typeof totals === 'object' && totals !== null && !Array.isArray(totals)) {
    return totals as Record<string, unknown>;
  }
  return record;
}

/** Parses a termination message; undefined unless it is a report with sane counts. */
export function parseWorkerSummary(message: string | undefined): WorkerSummary | undefined {
  if (message === undefined || message.length > MAX_MESSAGE) return undefined;
  const text = message.trim();
  if (!text.startsWith('{')) return undefined;
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return undefined;
  }
  const totals = totalsOf(doc);
  const removed = count(totals?.['removed']);
  const failed = count(totals?.['failed']) ?? 0;
  if (removed === undefined) return undefined;
  const images = count(totals?.['images']);
  return images === undefined ? { removed, failed } : { removed, failed, images };
}
