import { IMAGE_LIST_CONDITIONS, type Condition } from '../api/condition.js';
import type { ImageListStatus } from '../api/imagelist.js';
import { InvalidReferenceError, quote } from '../images/errors.js';
import { parseReference } from '../images/reference.js';
import type { JobCounts } from './ratio.js';

/** How a run for one ImageList generation ended, in words a user reads. */
export interface ListResult {
  readonly generation: number;
  readonly counts: JobCounts;
  readonly succeeded: boolean;
  /** CamelCase, e.g. SuccessRatioMet, InvalidImages, InvalidExclusions. */
  readonly reason: string;
  readonly message: string;
}

/** The CRD's bound on a condition message (metav1.Condition's); a longer one fails the update. */
export const MAX_CONDITION_MESSAGE = 32_768;

/** Cuts a message to the bound without leaving half of a surrogate pair at the end. */
function fitMessage(message: string): string {
  if (message.length <= MAX_CONDITION_MESSAGE) return message;
  const cut = message.slice(0, MAX_CONDITION_MESSAGE - 1);
  return `${/[\uD800-\uDBFF]$/u.test(cut) ? cut.slice(0, -1) : cut}…`;
}

function condition(
  previous: readonly Condition[],
  type: string,
  status: Condition['status'],
  result: ListResult,
  now: string,
): Condition {
  const before = previous.find((c) => c.type === type);
  const changed = before === undefined || before.status !== status;
  return {
    type,
    status,
    observedGeneration: result.generation,
    lastTransitionTime: changed ? now : before.lastTransitionTime,
    reason: result.reason,
    message: fitMessage(result.message),
  };
}

/**
 * The ImageList status after a run: node counts, when, which generation, and two conditions:
 * `Complete` (the run for this generation is over) and `Succeeded` (enough nodes succeeded).
 */
export function listStatus(
  previous: readonly Condition[],
  result: ListResult,
  nowMs: number,
): ImageListStatus {
  const now = new Date(nowMs).toISOString();
  const { succeeded, failed, skipped } = result.counts;
  return {
    timestamp: now,
    success: succeeded,
    failed,
    skipped,
    observedGeneration: result.generation,
    conditions: [
      condition(previous, IMAGE_LIST_CONDITIONS.complete, 'True', result, now),
      condition(
        previous,
        IMAGE_LIST_CONDITIONS.succeeded,
        result.succeeded ? 'True' : 'False',
        result,
        now,
      ),
    ],
  };
}

/**
 * The ImageList conditions while its job runs: `Complete=False, reason=Running`, naming the
 * job. Other conditions stay as the last run left them (their observedGeneration says which).
 */
export function runningConditions(
  previous: readonly Condition[],
  generation: number,
  message: string,
  nowMs: number,
): Condition[] {
  const now = new Date(nowMs).toISOString();
  const running = { generation, reason: 'Running', message, succeeded: false };
  const complete = condition(
    previous,
    IMAGE_LIST_CONDITIONS.complete,
    'False',
    { ...running, counts: { desired: 0, succeeded: 0, failed: 0, skipped: 0 } },
    now,
  );
  return [complete, ...previous.filter((c) => c.type !== IMAGE_LIST_CONDITIONS.complete)];
}

export type ImagesCheck =
  | { readonly ok: true; readonly images: readonly string[] }
  | { readonly ok: false; readonly reason: string; readonly message: string };

const SHOWN = 3;

/**
 * Checks `spec.images` before any pod starts: a list of image references or `"*"`. The worker
 * refuses a list with a bad entry on every node, so the user hears about it here, once.
 */
export function checkImages(images: unknown): ImagesCheck {
  if (!Array.isArray(images) || !images.every((i) => typeof i === 'string')) {
    return { ok: false, reason: 'InvalidImages', message: 'spec.images must be a list of strings' };
  }
  const entries = images;
  const bad = entries.filter((entry) => entry.trim() !== '*' && !isReference(entry.trim()));
  if (bad.length > 0) {
    // Entries are quoted shortened: a few huge ones must not push the message past the limit.
    const shown = bad.slice(0, SHOWN).map(quote).join(', ');
    const more = bad.length > SHOWN ? ` and ${bad.length - SHOWN} more` : '';
    const message = `spec.images has entries that are not image references: ${shown}${more}`;
    return { ok: false, reason: 'InvalidImages', message };
  }
  const kept = entries.map((e) => e.trim()).filter((e) => e !== '');
  if (kept.length === 0) {
    return { ok: false, reason: 'NothingToRemove', message: 'spec.images is empty' };
  }
  return { ok: true, images: kept };
}

function isReference(entry: string): boolean {
  if (entry === '') return true;
  try {
    parseReference(entry);
    return true;
  } catch (err: unknown) {
    if (err instanceof InvalidReferenceError) return false;
    throw err;
  }
}
