import type { MergedFile, MergedFs } from '../layers/merge.js';

export interface Attributed<T> {
  readonly record: T;
  /** The lowest layer from which the record is present in every copy of the file up to the top. */
  readonly layer: string;
}

/** A database as one layer left it: one file's bytes, or a file with its companions. */
export interface DatabaseCopy<D> {
  readonly layer: string;
  readonly data: D;
}

/**
 * Tells in which layer each record of a database file appeared, by walking down the copies that
 * lower layers wrote of the same file. A package installed in the base image and untouched by
 * later `apt-get install` runs is attributed to the base layer, not to the last layer that
 * rewrote the database. Lower copies that fail to parse end the walk silently: the top copy is
 * the one whose failure matters, and it was parsed already.
 */
export function attributeRecords<T>(
  fs: MergedFs,
  file: MergedFile,
  records: readonly T[],
  parse: (data: Buffer) => readonly T[],
  key: (record: T) => string,
): Attributed<T>[] {
  const copies = fs.history(file.path);
  const top = copies.at(-1);
  // The visible copy is the last of its history; anything else would be a merge defect, and
  // then the records are simply the visible file's own.
  const history = top?.layer === file.layer ? copies : [{ layer: file.layer, data: file.data }];
  return attributeCopies(history, records, parse, key);
}

/**
 * attributeRecords over any sequence of database states, bottom first; `records` were read from
 * the last one. For databases spread over several files (rpm's SQLite with its `-wal`).
 */
export function attributeCopies<D, T>(
  copies: readonly DatabaseCopy<D>[],
  records: readonly T[],
  parse: (data: D) => readonly T[],
  key: (record: T) => string,
): Attributed<T>[] {
  const topLayer = copies.at(-1)?.layer ?? '';
  const layers = new Map<string, string>(records.map((record) => [key(record), topLayer]));

  let pending = new Set(layers.keys());
  for (let index = copies.length - 2; index >= 0 && pending.size > 0; index -= 1) {
    const copy = copies[index];
    const keys = copy === undefined ? undefined : parseKeys(copy.data, parse, key);
    if (copy === undefined || keys === undefined) break;

    pending = new Set([...pending].filter((k) => keys.has(k)));
    for (const k of pending) layers.set(k, copy.layer);
  }

  return records.map((record) => ({ record, layer: layers.get(key(record)) ?? topLayer }));
}

function parseKeys<D, T>(
  data: D,
  parse: (data: D) => readonly T[],
  key: (record: T) => string,
): Set<string> | undefined {
  try {
    return new Set(parse(data).map(key));
  } catch {
    return undefined;
  }
}
