import { parseDocument } from 'yaml';

import { errorMessage } from '../errors.js';

/** Config files are small; anything larger is a mistake or an attack, refused before parsing. */
export const MAX_CONFIG_BYTES = 1024 * 1024;

/** Alias expansions allowed per document: enough for real files, too few for a "YAML bomb". */
export const MAX_ALIAS_COUNT = 100;

export type YamlResult = { ok: true; value: unknown } | { ok: false; reason: string };

/**
 * Parses one YAML document with the guards outside input needs: a size cap, unique keys, a
 * single document, and bounded alias expansion.
 */
export function parseYamlText(text: string): YamlResult {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_CONFIG_BYTES) {
    return { ok: false, reason: `${bytes} bytes exceeds the ${MAX_CONFIG_BYTES}-byte limit` };
  }

  // Deep nesting overflows the parser's stack; that RangeError is caught like any parse error.
  try {
    const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: false });
    const first = doc.errors[0];
    if (first !== undefined) return { ok: false, reason: first.message };
    const value: unknown = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    if (containsItself(value, new Set(), new Set())) {
      return { ok: false, reason: 'an alias refers to a node that contains it' };
    }
    return { ok: true, value };
  } catch (err: unknown) {
    return { ok: false, reason: errorMessage(err) };
  }
}

/**
 * Whether the value holds itself: `a: &x [*x]` parses into a list inside itself, which no
 * config means and which breaks every later step that walks or prints the value. Nodes already
 * checked are skipped, so shared aliases cost one visit each.
 */
function containsItself(value: unknown, open: Set<object>, done: Set<object>): boolean {
  if (typeof value !== 'object' || value === null || ArrayBuffer.isView(value)) return false;
  if (open.has(value)) return true;
  if (done.has(value)) return false;

  open.add(value);
  const children =
    value instanceof Map || value instanceof Set ? [...value.values()] : Object.values(value);
  const found = children.some((child) => containsItself(child, open, done));
  open.delete(value);
  done.add(value);
  return found;
}
