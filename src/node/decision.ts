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
  | 'too-recent'
  | 'not-present'
  | 'ambiguous'
  | 'invalid'
  | 'failed'
  | 'interrupted';

/** Every outcome, in the order reports list them: what happened first, then why things stayed. */
export const OUTCOME_ORDER: readonly Outcome[] = [
  'removed',
  'would-remove',
  'failed',
  'interrupted',
  'in-use',
  'pinned',
  'excluded',
  'shared-tags',
  'too-recent',
  'not-present',
  'ambiguous',
  'invalid',
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
  /** Images that stayed for a safety reason: in use, pinned, excluded, shared tags, too recent. */
  readonly kept: number;
  /** Entries that named no image on the node. */
  readonly notPresent: number;
  readonly failed: number;
  /** Entries that are not image references, or short IDs naming several images. */
  readonly invalid: number;
  /** Removals not attempted because the run was interrupted. */
  readonly interrupted: number;
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
  const kept = ['in-use', 'pinned', 'excluded', 'shared-tags', 'too-recent'] as const;
  return {
    images: imageCount,
    removed,
    wouldRemove,
    kept: kept.reduce((sum, o) => sum + count(o), 0),
    notPresent: count('not-present'),
    failed: count('failed'),
    invalid: count('invalid') + count('ambiguous'),
    interrupted: count('interrupted'),
    bytesReclaimed: bytes('removed'),
    bytesReclaimable: bytes('would-remove'),
  };
}
