import { errorMessage } from '../errors.js';
import { findImages } from '../images/match.js';
import { parseReference, type ParsedReference } from '../images/reference.js';
import type { RuntimeImage } from '../runtime/types.js';
import type { Decision, ExclusionHit } from './decision.js';
import { tooRecentReason, type MinAge } from './min-age.js';
import type { UsageIndex } from './usage.js';

/** Anything that can tell whether an image is excluded, and by which rule. */
export interface ExclusionMatcher {
  match(image: RuntimeImage): ExclusionHit | undefined;
}

/** The entry that means "every image no container uses". */
export const ALL_UNUSED = '*';

/** An image chosen by one or more entries, before safety checks. */
export interface Selection {
  readonly image: RuntimeImage;
  readonly entries: string[];
  /** True when an entry named the image as a whole (ID, digest or `*`), not just one tag. */
  wholeImage: boolean;
  readonly namedTags: Set<string>;
}

export interface SelectionResult {
  readonly selections: Selection[];
  /** Decisions for entries that select nothing: invalid, ambiguous, not present. */
  readonly entryDecisions: Decision[];
}

/**
 * Resolves list entries to images. Each image is selected once however many entries name it,
 * so the report has one decision per image.
 */
export function selectImages(
  entries: readonly string[],
  images: readonly RuntimeImage[],
): SelectionResult {
  const byId = new Map<string, Selection>();
  const entryDecisions: Decision[] = [];
  const select = (image: RuntimeImage, entry: string, tag?: string) => {
    const sel = byId.get(image.id) ?? newSelection(image);
    byId.set(image.id, sel);
    if (!sel.entries.includes(entry)) sel.entries.push(entry);
    if (tag === undefined) sel.wholeImage = true;
    else sel.namedTags.add(tag);
  };

  for (const entry of entries) {
    if (entry === ALL_UNUSED) {
      for (const image of images) select(image, entry);
      continue;
    }
    const decision = selectEntry(entry, images, select);
    if (decision) entryDecisions.push(decision);
  }
  return { selections: [...byId.values()], entryDecisions };
}

function newSelection(image: RuntimeImage): Selection {
  return { image, entries: [], wholeImage: false, namedTags: new Set() };
}

function selectEntry(
  entry: string,
  images: readonly RuntimeImage[],
  select: (image: RuntimeImage, entry: string, tag?: string) => void,
): Decision | undefined {
  let parsed: ParsedReference;
  try {
    parsed = parseReference(entry);
  } catch (err) {
    return entryDecision('invalid', entry, `not an image reference: ${errorMessage(err)}`);
  }

  const found = findImages(parsed, images);
  if (found.ambiguous) return entryDecision('ambiguous', entry, found.error.message);
  // Only bare hex (the entry is its own prefix) reads as a name too; `sha256:<hex>` cannot.
  const bareHex = parsed.kind === 'id-prefix' && parsed.prefix === entry;
  const byName = bareHex ? hexNameMatches(entry, images) : [];
  const ids = new Set([...found.matches, ...byName].map((m) => m.image.id));
  if (ids.size > 1 && byName.length > 0) {
    const reason = `names both the image ${entry}:latest and an image whose ID starts with it`;
    return entryDecision('ambiguous', entry, reason);
  }
  const matches = [...found.matches, ...byName];
  if (matches.length === 0)
    return entryDecision('not-present', entry, 'no image on the node matches');
  for (const { image, match } of matches) {
    select(image, entry, match.by === 'tag' ? match.tag : undefined);
  }
  return undefined;
}

/**
 * Runtimes read 12+ hex digits as a repository name first and as a short ID second, so such
 * an entry is also looked up as `<hex>:latest`.
 */
function hexNameMatches(entry: string, images: readonly RuntimeImage[]) {
  const asName = parseReference(`${entry}:latest`);
  const found = findImages(asName, images);
  return found.ambiguous ? [] : found.matches;
}

function entryDecision(outcome: Decision['outcome'], entry: string, reason: string): Decision {
  return { outcome, reason, entries: [entry], tags: [], digests: [] };
}

export interface SafetyOptions {
  readonly exclusions: ExclusionMatcher;
  /** Keep a multi-tag image when the entries named only some of its tags. */
  readonly keepSharedTags: boolean;
  /** Keep images that arrived on the node more recently than this. */
  readonly minAge?: MinAge | undefined;
}

/**
 * The reason an image must stay, or undefined when it may go. Checked once on the collected
 * inventory and again, against a fresh one, right before each removal.
 */
export function keepReason(
  sel: Selection,
  usage: UsageIndex,
  opts: SafetyOptions,
): Omit<Decision, 'entries' | 'tags' | 'digests'> | undefined {
  const { image } = sel;
  const base = { imageId: image.id, size: image.size };
  if (image.pinned) return { ...base, outcome: 'pinned', reason: 'the runtime pins this image' };
  if (usage.isSandboxImage(image.id)) {
    return { ...base, outcome: 'pinned', reason: "the runtime's configured sandbox image" };
  }

  const exclusion = opts.exclusions.match(image);
  if (exclusion) {
    const reason = `excluded by rule ${exclusion.rule} (${exclusion.source})`;
    return { ...base, outcome: 'excluded', reason, exclusion };
  }

  const usedBy = usage.usersOf(image.id);
  if (usedBy.length > 0) {
    const names = usedBy.map((u) => `${u.kind} ${u.name} (${u.state})`).join(', ');
    return { ...base, outcome: 'in-use', reason: `used by ${names}`, usedBy };
  }

  const unnamed = image.repoTags.filter((t) => !sel.namedTags.has(t));
  if (opts.keepSharedTags && !sel.wholeImage && unnamed.length > 0) {
    const reason = `also tagged ${unnamed.join(', ')}, which the list does not name`;
    return { ...base, outcome: 'shared-tags', reason };
  }

  const tooRecent = opts.minAge && tooRecentReason(image.id, opts.minAge);
  if (tooRecent) return { ...base, outcome: 'too-recent', reason: tooRecent };
  return undefined;
}
