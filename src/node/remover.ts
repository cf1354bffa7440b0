import pLimit from 'p-limit';

import { errorMessage } from '../errors.js';
import type { Logger } from '../logger.js';
import type { ImageRuntime, RuntimeContainer, RuntimeSandbox } from '../runtime/types.js';
import type { Decision } from './decision.js';
import { FreshReader } from './fresh.js';
import { keepReason, type SafetyOptions, type Selection } from './plan.js';
import { UsageIndex } from './usage.js';

export interface RemoveOptions extends SafetyOptions {
  readonly concurrency: number;
  /** The runtime's configured sandbox image, read once at collection: it does not change. */
  readonly sandboxImage: string | undefined;
  /** Once aborted, removals not yet started are reported as interrupted instead. */
  readonly signal?: AbortSignal | undefined;
  /** Called with each decision as soon as it is made, so an interrupted run leaves a trail. */
  readonly onDecision: (decision: Decision) => void;
}

interface Workloads {
  readonly containers: RuntimeContainer[];
  readonly sandboxes: RuntimeSandbox[];
}

/**
 * Removes the selected images that passed the first safety check. Right before each removal it
 * re-reads the image and the node's containers, because the runtime itself removes an image a
 * running container uses, and a container may have been created since collection.
 */
export async function removeImages(
  runtime: ImageRuntime,
  candidates: readonly Selection[],
  opts: RemoveOptions,
  log: Logger,
): Promise<Decision[]> {
  const workloads = new FreshReader<Workloads>(async () => {
    const [containers, sandboxes] = await Promise.all([
      runtime.listContainers(),
      runtime.listSandboxes(),
    ]);
    return { containers, sandboxes };
  });
  const limit = pLimit(Math.max(1, opts.concurrency));
  const jobs = candidates.map((sel) =>
    limit(async () => {
      const decision = opts.signal?.aborted
        ? interrupted(sel)
        : await removeOne(runtime, sel, workloads, opts, log);
      opts.onDecision(decision);
      return decision;
    }),
  );
  return Promise.all(jobs);
}

function interrupted(sel: Selection): Decision {
  return { ...describe(sel), outcome: 'interrupted', reason: 'not attempted: run interrupted' };
}

async function removeOne(
  runtime: ImageRuntime,
  sel: Selection,
  workloads: FreshReader<Workloads>,
  opts: RemoveOptions,
  log: Logger,
): Promise<Decision> {
  const entries = sel.entries;
  try {
    const [current, now] = await Promise.all([runtime.imageStatus(sel.image.id), workloads.read()]);
    if (!current) {
      const reason = 'gone before removal (removed by someone else)';
      return { ...describe(sel), outcome: 'not-present', reason };
    }

    const fresh: Selection = { ...sel, image: current };
    const usage = new UsageIndex([current], now.containers, now.sandboxes, opts.sandboxImage);
    const keep = keepReason(fresh, usage, opts);
    if (keep) return { ...keep, entries, ...tagsOf(fresh), reason: `${keep.reason} (re-check)` };

    const removed = {
      ...describe(fresh),
      outcome: 'removed' as const,
      removedTags: current.repoTags,
    };
    try {
      await runtime.removeImage(current.id);
    } catch (err) {
      // A call that timed out may still have done its work; a report must not call it failed.
      if (await goneAfter(runtime, current.id)) {
        return { ...removed, reason: 'unused (the runtime answered late, but the image is gone)' };
      }
      throw err;
    }
    return { ...removed, reason: 'unused' };
  } catch (err) {
    log.warn({ err, imageId: sel.image.id }, 'image removal failed');
    return {
      ...describe(sel),
      outcome: 'failed',
      reason: 'runtime error',
      error: errorMessage(err),
    };
  }
}

async function goneAfter(runtime: ImageRuntime, imageId: string): Promise<boolean> {
  try {
    return (await runtime.imageStatus(imageId)) === undefined;
  } catch {
    // The runtime is still not answering: nothing is known, so the removal counts as failed.
    return false;
  }
}

function describe(sel: Selection) {
  return { entries: sel.entries, imageId: sel.image.id, size: sel.image.size, ...tagsOf(sel) };
}

function tagsOf(sel: Selection) {
  return { tags: sel.image.repoTags, digests: sel.image.repoDigests };
}
