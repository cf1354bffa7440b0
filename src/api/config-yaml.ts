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
    return { ok: true, value: doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) };
  } catch (err: unknown) {
    return { ok: false, reason: errorMessage(err) };
  }
}
