import type { ImageUser } from './usage.js';

/**
 * What happened to one image (or to one list entry that named no image). Every outcome but
 * `removed` and `would-remove` is a reason the image stayed.
 */
export type Outcome =
  | 'removed'
  | 'would-remove'
  | 'in-use'
  | 'pinned'
  | 'excluded'
  | 'shared-tags'
  | 'not-present'
  | 'ambiguous'
  | 'invalid'
  | 'failed';

export const KEPT_OUTCOMES: readonly Outcome[] = [
  'in-use',
  'pinned',
  'excluded',
  'shared-tags',
  'not-present',
  'ambiguous',
  'invalid',
  'failed',
];

/** The exclusion rule that protected an image, and where it was written. */
export interface ExclusionHit {
  readonly rule: string;
  readonly source: string;
  readonly matched: string;
}

export interface Decision {
  readonly outcome: Outcome;
  /** Why, in words a user can act on. */
  readonly reason: string;
  /** The list entries that selected this image (`*` for all-unused). */
  readonly entries: readonly string[];
  readonly imageId?: string;
  readonly tags: readonly string[];
  readonly digests: readonly string[];
  readonly size?: number;
  readonly usedBy?: readonly ImageUser[];
  readonly exclusion?: ExclusionHit;
  /** Tags that went with the removal: RemoveImage drops every tag of the image ID. */
  readonly removedTags?: readonly string[];
  readonly error?: string;
}

export interface ReportTotals {
  readonly images: number;
  readonly removed: number;
  readonly wouldRemove: number;
  readonly kept: number;
  readonly failed: number;
  readonly invalid: number;
  readonly bytesReclaimed: number;
  /** In a dry run: what a real run would reclaim. */
  readonly bytesReclaimable: number;
}

export interface RunReport {
  readonly endpoint: string;
  readonly runtime: string;
  readonly dryRun: boolean;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly decisions: readonly Decision[];
  readonly totals: ReportTotals;
}

export function computeTotals(imageCount: number, decisions: readonly Decision[]): ReportTotals {
  const count = (o: Outcome) => decisions.filter((d) => d.outcome === o).length;
  const bytes = (o: Outcome) =>
    decisions.filter((d) => d.outcome === o).reduce((sum, d) => sum + (d.size ?? 0), 0);
  const removed = count('removed');
  const wouldRemove = count('would-remove');
  return {
    images: imageCount,
    removed,
    wouldRemove,
    kept: decisions.length - removed - wouldRemove,
    failed: count('failed'),
    invalid: count('invalid') + count('ambiguous'),
    bytesReclaimed: bytes('removed'),
    bytesReclaimable: bytes('would-remove'),
  };
}
