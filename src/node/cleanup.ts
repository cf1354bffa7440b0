import { EraserError } from '../errors.js';
import type { Logger } from '../logger.js';
import { RuntimeError } from '../runtime/errors.js';
import type { ImageRuntime, RuntimeImage } from '../runtime/types.js';
import { computeTotals, type Decision, type RunReport } from './decision.js';
import { type MinAge } from './min-age.js';
import {
  keepReason,
  selectImages,
  type ExclusionMatcher,
  type SafetyOptions,
  type Selection,
} from './plan.js';
import { removeImages } from './remover.js';
import { UsageIndex } from './usage.js';

export interface CleanupOptions {
  /** Image references, IDs, digests, or `*` for every unused image. */
  readonly entries: readonly string[];
  readonly exclusions: ExclusionMatcher;
  readonly dryRun: boolean;
  readonly concurrency: number;
  /** Keep multi-tag images when the list named only some of their tags. */
  readonly keepSharedTags: boolean;
  /** Go on when some entries are invalid instead of refusing the whole list. */
  readonly skipInvalid: boolean;
  /** Keep images that arrived on the node more recently than this (`--min-age`). */
  readonly minAgeLimit?: { readonly text: string; readonly ms: number } | undefined;
  readonly clock?: () => Date;
  /** Runs between collection and removal; lets tests stage a race with a new container. */
  readonly afterCollect?: () => Promise<void>;
  /** Aborting stops new removals; those in flight finish and the report says which ran. */
  readonly signal?: AbortSignal;
}

const SHOWN_INVALID = 10;
const SHOWN_CHARS = 300;

function clip(text: string): string {
  return text.length <= SHOWN_CHARS ? text : `${text.slice(0, SHOWN_CHARS)}…`;
}

/** The list had entries that are not image references; nothing was removed. */
export class InvalidImageListError extends EraserError {
  constructor(readonly decisions: readonly Decision[]) {
    // The first few say what is wrong; a list of garbage must not become a megabyte of message.
    const shown = decisions
      .slice(0, SHOWN_INVALID)
      .map((d) => clip(`${d.entries.join(', ')}: ${d.reason}`));
    const more = decisions.length - shown.length;
    const rest = more > 0 ? `; and ${more} more` : '';
    const count = `${decisions.length} invalid ${decisions.length === 1 ? 'entry' : 'entries'}`;
    super(
      'IMAGE_LIST_INVALID',
      `image list has ${count}, nothing removed: ${shown.join('; ')}${rest}`,
      { entries: decisions.flatMap((d) => d.entries.map(clip)).slice(0, SHOWN_INVALID) },
    );
  }
}

/**
 * The node's main job: collect images and workloads, decide per image, re-check and remove the
 * unused ones that were asked for, and report every decision.
 */
export async function runCleanup(
  runtime: ImageRuntime,
  opts: CleanupOptions,
  log: Logger,
): Promise<RunReport> {
  const clock = opts.clock ?? (() => new Date());
  const startedAt = clock().toISOString();
  const version = await runtime.version();
  const inventory = await collect(runtime);
  log.info({ images: inventory.images.length, entries: opts.entries.length }, 'collected');
  warnUnresolved(log, inventory.usage);

  const { selections, entryDecisions } = selectImages(opts.entries, inventory.images);
  const bad = entryDecisions.filter((d) => d.outcome === 'invalid' || d.outcome === 'ambiguous');
  if (bad.length > 0 && !opts.skipInvalid) throw new InvalidImageListError(bad);

  const minAge = await readMinAge(runtime, inventory.images, opts, clock);
  const safety = { ...opts, minAge };
  const { kept, candidates } = triage(selections, inventory.usage, safety);
  const decisions: Decision[] = [];
  const record = (d: Decision) => {
    decisions.push(d);
    logDecision(log, d);
  };
  for (const d of [...entryDecisions, ...kept]) record(d);

  await opts.afterCollect?.();
  if (opts.dryRun) {
    for (const sel of candidates) record(wouldRemove(sel));
  } else {
    const sandboxImage = inventory.sandboxImage;
    const removeOpts = { ...safety, sandboxImage, onDecision: record };
    await removeImages(runtime, candidates, removeOpts, log);
    await noteLateContainers(runtime, decisions, log);
  }

  return {
    endpoint: runtime.endpoint,
    runtime: `${version.runtimeName} ${version.runtimeVersion}`,
    dryRun: opts.dryRun,
    startedAt,
    finishedAt: clock().toISOString(),
    decisions,
    totals: computeTotals(inventory.images.length, decisions),
  };
}

interface Inventory {
  readonly images: RuntimeImage[];
  readonly usage: UsageIndex;
  readonly sandboxImage: string | undefined;
}

async function collect(runtime: ImageRuntime): Promise<Inventory> {
  const [images, containers, sandboxes, sandboxImage] = await Promise.all([
    runtime.listImages(),
    runtime.listContainers(),
    runtime.listSandboxes(),
    runtime.configuredSandboxImage(),
  ]);
  const usage = new UsageIndex(images, containers, sandboxes, sandboxImage);
  return { images, usage, sandboxImage };
}

/**
 * CRI names a sandbox's image only by reference; when that name is gone (retagged, untagged)
 * and the runtime cannot trace the sandbox's layers either (not containerd), the image it runs
 * cannot be told apart from the others. Say so, once per sandbox.
 */
function warnUnresolved(log: Logger, usage: UsageIndex): void {
  for (const s of usage.unresolvedSandboxes) {
    const fields = { sandbox: s.id, pod: `${s.namespace}/${s.name}`, image: s.image };
    log.warn(fields, 'sandbox image not found by name; it is protected only if pinned or excluded');
  }
}

/** The runtime cannot say when images arrived, so `--min-age` cannot be honoured. */
export class MinAgeUnsupportedError extends RuntimeError {
  constructor(endpoint: string) {
    super(
      'MIN_AGE_UNSUPPORTED',
      `runtime at ${endpoint} cannot tell when its images arrived, so --min-age cannot be ` +
        'honoured; nothing was removed (it needs containerd)',
      { endpoint },
    );
  }
}

async function readMinAge(
  runtime: ImageRuntime,
  images: readonly RuntimeImage[],
  opts: CleanupOptions,
  clock: () => Date,
): Promise<MinAge | undefined> {
  const limit = opts.minAgeLimit;
  if (limit === undefined) return undefined;
  if (runtime.imageArrivals === undefined) throw new MinAgeUnsupportedError(runtime.endpoint);
  // The images just collected: their arrival is all the decisions need, so no second listing.
  const arrivals = await runtime.imageArrivals(images);
  return { ...limit, arrivals, now: clock() };
}

/**
 * CRI cannot remove an image only if unused, so a container created between the last re-check
 * and the removal loses its image (kubelet pulls it again when it needs it). One listing after
 * the removals finds such containers, so the report says so rather than "unused".
 */
async function noteLateContainers(
  runtime: ImageRuntime,
  decisions: Decision[],
  log: Logger,
): Promise<void> {
  const removed = new Set(decisions.filter((d) => d.outcome === 'removed').map((d) => d.imageId));
  if (removed.size === 0) return;

  const containers = await runtime.listContainers().catch(() => []);
  for (const c of containers.filter((x) => removed.has(x.imageRef))) {
    const at = decisions.findIndex((d) => d.outcome === 'removed' && d.imageId === c.imageRef);
    const d = decisions[at];
    if (d === undefined) continue;
    const reason = `${d.reason}; container ${c.name} was created on it during the removal`;
    decisions[at] = { ...d, reason };
    log.warn({ imageId: c.imageRef, container: c.id, name: c.name }, 'container lost its image');
  }
}

function triage(selections: readonly Selection[], usage: UsageIndex, opts: SafetyOptions) {
  const kept: Decision[] = [];
  const candidates: Selection[] = [];
  for (const sel of selections) {
    const keep = keepReason(sel, usage, opts);
    if (keep) kept.push({ ...keep, entries: sel.entries, ...imageNames(sel) });
    else candidates.push(sel);
  }
  return { kept, candidates };
}

function wouldRemove(sel: Selection): Decision {
  return {
    outcome: 'would-remove',
    reason: 'unused (dry run)',
    entries: sel.entries,
    imageId: sel.image.id,
    size: sel.image.size,
    removedTags: sel.image.repoTags,
    ...imageNames(sel),
  };
}

function imageNames(sel: Selection) {
  return { tags: sel.image.repoTags, digests: sel.image.repoDigests };
}

function logDecision(log: Logger, d: Decision): void {
  const fields = {
    outcome: d.outcome,
    imageId: d.imageId,
    tags: d.tags,
    entries: d.entries,
    reason: d.reason,
    exclusionRule: d.exclusion?.rule,
    usedBy: d.usedBy?.map((u) => u.id),
    error: d.error,
  };
  if (d.outcome === 'failed') log.warn(fields, 'image decision');
  else log.info(fields, 'image decision');
}
