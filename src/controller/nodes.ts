import type { NodeFilterConfig } from '../api/config.js';
import type { NodeInfo } from './kube/objects.js';

/** Nodes carrying this label are handled by the node filter whatever the config lists. */
export const FILTER_LABEL = 'eraser.sh/cleanup.filter';
export const OS_LABEL = 'kubernetes.io/os';

export type SkipReason = 'windows' | 'excluded-by-filter' | 'not-included-by-filter';

/** Which nodes a job runs on, and which it skips and why. */
export interface NodePlan {
  readonly targets: readonly string[];
  readonly skipped: readonly { readonly node: string; readonly reason: SkipReason }[];
}

/** A selector from the config: a label key (`key`, the label must exist) or `key=value`. */
export function selectorMatches(
  selector: string,
  labels: Readonly<Record<string, string>>,
): boolean {
  const eq = selector.indexOf('=');
  if (eq < 0) return Object.hasOwn(labels, selector);
  const key = selector.slice(0, eq);
  const value = selector.slice(selector.startsWith('=', eq + 1) ? eq + 2 : eq + 1);
  return Object.hasOwn(labels, key) && labels[key] === value;
}

function isWindows(node: NodeInfo): boolean {
  return node.labels[OS_LABEL] === 'windows';
}

/**
 * Splits nodes into targets and skipped ones. Windows nodes are always skipped (the worker is a
 * Linux program talking to a unix socket). As in Eraser, the `eraser.sh/cleanup.filter` label
 * always takes part: in `exclude` mode it keeps a node out, in `include` mode it lets one in.
 * Targets are sorted by name, so the plan is the same however the cache is ordered.
 */
export function planNodes(nodes: readonly NodeInfo[], filter: NodeFilterConfig): NodePlan {
  const selectors = filter.selectors.includes(FILTER_LABEL)
    ? filter.selectors
    : [...filter.selectors, FILTER_LABEL];
  const targets: string[] = [];
  const skipped: { node: string; reason: SkipReason }[] = [];

  for (const node of [...nodes].sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const matched = selectors.some((s) => selectorMatches(s, node.labels));
    if (isWindows(node)) skipped.push({ node: node.name, reason: 'windows' });
    else if (filter.type === 'exclude' && matched) {
      skipped.push({ node: node.name, reason: 'excluded-by-filter' });
    } else if (filter.type === 'include' && !matched) {
      skipped.push({ node: node.name, reason: 'not-included-by-filter' });
    } else targets.push(node.name);
  }
  return { targets, skipped };
}
