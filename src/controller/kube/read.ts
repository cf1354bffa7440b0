/**
 * Readers for objects as they arrive from the client: typed models from list calls (timestamps
 * as Date) and raw JSON from watch streams (timestamps as strings). Both read the same here.
 */

export type Rec = Record<string, unknown>;

export function rec(value: unknown): Rec | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Rec)
    : undefined;
}

/** Follows a path of keys; undefined as soon as a step is missing or not an object. */
export function at(value: unknown, ...path: string[]): unknown {
  let current: unknown = value;
  for (const key of path) {
    const obj = rec(current);
    if (obj === undefined) return undefined;
    current = obj[key];
  }
  return current;
}

export function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

export function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

export function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** A timestamp in epoch milliseconds, from a Date or an RFC 3339 string. */
export function timeMs(value: unknown): number | undefined {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : value.getTime();
  if (typeof value !== 'string') return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

/** A string-to-string map (labels, annotations, ConfigMap data); other values are dropped. */
export function strMap(value: unknown): Record<string, string> {
  const obj = rec(value);
  if (obj === undefined) return {};
  const out: [string, string][] = [];
  for (const [key, item] of Object.entries(obj)) {
    if (typeof item === 'string') out.push([key, item]);
  }
  return Object.fromEntries(out);
}

export type Compact<T> = { [K in keyof T]?: Exclude<T[K], undefined> };

/** Drops undefined values, so optional fields can be spread in under exactOptionalPropertyTypes. */
export function compact<T extends Record<string, unknown>>(obj: T): Compact<T> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(obj)) {
    if (value !== undefined) out[key] = value;
  }
  return out as Compact<T>;
}

/**
 * The JSON shape of a client-node model class. client-node declares models as classes but
 * serialises plain objects field by field, so the manager builds plain objects of this type.
 */
export type Plain<T> = T extends Date
  ? T
  : T extends readonly (infer U)[]
    ? Plain<U>[]
    : T extends object
      ? { [K in keyof T]: Plain<T[K]> }
      : T;
