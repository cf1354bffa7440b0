/**
 * The patch formats the emulator accepts: JSON merge patch (RFC 7386, also used for strategic
 * merge patch) and JSON patch (RFC 6902). Failures are `ApiError`s with the apiserver's codes:
 * a malformed patch document is 400, a patch that cannot apply is 422.
 */

import { ApiError, badRequest } from './errors.js';
import { jsonEqual } from './json.js';
import { clone, isRecord } from './types.js';

/** RFC 7386: objects merge key by key, `null` deletes, everything else replaces. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isRecord(patch)) return clone(patch);
  const out: Record<string, unknown> = isRecord(target) ? clone(target) : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) Reflect.deleteProperty(out, key);
    else setOwn(out, key, mergePatch(Object.hasOwn(out, key) ? out[key] : undefined, value));
  }
  return out;
}

/**
 * Plain assignment of `__proto__` would replace the prototype instead of adding a key, and a
 * patch is outside input: keys are always defined as own data properties.
 */
function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, {
    value,
    writable: true,
    enumerable: true,
    configurable: true,
  });
}

type Op = 'add' | 'remove' | 'replace' | 'move' | 'copy' | 'test';

interface Operation {
  op: Op;
  path: string[];
  from?: string[];
  value?: unknown;
}

const OPS: readonly string[] = ['add', 'remove', 'replace', 'move', 'copy', 'test'];

function cannotApply(message: string): ApiError {
  return new ApiError(422, 'Invalid', message);
}

/** RFC 6901 pointer to tokens; `~1` is `/` and `~0` is `~`. */
function parsePointer(pointer: unknown): string[] {
  if (typeof pointer !== 'string' || (pointer !== '' && !pointer.startsWith('/'))) {
    throw badRequest(`json patch path ${JSON.stringify(pointer)} is not a JSON pointer`);
  }
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function decodeOperation(raw: unknown): Operation {
  if (!isRecord(raw) || typeof raw['op'] !== 'string' || !OPS.includes(raw['op'])) {
    throw badRequest(`json patch operation ${JSON.stringify(raw)} has no valid "op"`);
  }
  const op: Operation = { op: raw['op'] as Op, path: parsePointer(raw['path']) };
  if (op.op === 'move' || op.op === 'copy') op.from = parsePointer(raw['from']);
  if (op.op === 'add' || op.op === 'replace' || op.op === 'test') {
    if (!Object.hasOwn(raw, 'value')) {
      throw badRequest(`json patch "${op.op}" at ${String(raw['path'])} has no "value"`);
    }
    op.value = raw['value'];
  }
  return op;
}

function arrayIndex(token: string, length: number, forInsert: boolean): number {
  if (forInsert && token === '-') return length;
  if (!/^(0|[1-9]\d*)$/.test(token)) throw cannotApply(`array index "${token}" is not a number`);
  const index = Number(token);
  if (index > length || (!forInsert && index === length)) {
    throw cannotApply(`array index ${index} is out of bounds (length ${length})`);
  }
  return index;
}

function read(doc: unknown, path: string[]): unknown {
  let at = doc;
  for (const token of path) {
    if (Array.isArray(at)) at = at[arrayIndex(token, at.length, false)];
    else if (isRecord(at) && Object.hasOwn(at, token)) at = at[token];
    else throw cannotApply(`path /${path.join('/')} does not exist`);
  }
  return at;
}

function parentOf(doc: unknown, path: string[]): { parent: unknown; token: string } {
  const token = path[path.length - 1] ?? '';
  return { parent: read(doc, path.slice(0, -1)), token };
}

function insert(doc: unknown, path: string[], value: unknown, replace: boolean): unknown {
  if (path.length === 0) return clone(value);
  const { parent, token } = parentOf(doc, path);
  if (Array.isArray(parent)) {
    const index = arrayIndex(token, parent.length, !replace);
    parent.splice(index, replace ? 1 : 0, clone(value));
  } else if (isRecord(parent)) {
    if (replace && !Object.hasOwn(parent, token)) {
      throw cannotApply(`path /${path.join('/')} does not exist`);
    }
    setOwn(parent, token, clone(value));
  } else {
    throw cannotApply(`parent of /${path.join('/')} is not an object or array`);
  }
  return doc;
}

function remove(doc: unknown, path: string[]): unknown {
  if (path.length === 0) throw cannotApply('cannot remove the whole document');
  const { parent, token } = parentOf(doc, path);
  if (Array.isArray(parent)) parent.splice(arrayIndex(token, parent.length, false), 1);
  else if (isRecord(parent) && Object.hasOwn(parent, token)) Reflect.deleteProperty(parent, token);
  else throw cannotApply(`path /${path.join('/')} does not exist`);
  return doc;
}

function applyOne(doc: unknown, op: Operation): unknown {
  switch (op.op) {
    case 'add':
      return insert(doc, op.path, op.value, false);
    case 'replace':
      return insert(doc, op.path, op.value, true);
    case 'remove':
      return remove(doc, op.path);
    case 'copy':
      return insert(doc, op.path, read(doc, op.from ?? []), false);
    case 'move': {
      const value = read(doc, op.from ?? []);
      return insert(remove(doc, op.from ?? []), op.path, value, false);
    }
    case 'test':
      if (!jsonEqual(read(doc, op.path), op.value)) {
        throw cannotApply(`test failed at /${op.path.join('/')}`);
      }
      return doc;
  }
}

/** RFC 6902: applies the operations in order to a copy of `doc`. */
export function jsonPatch(doc: unknown, patch: unknown): unknown {
  if (!Array.isArray(patch)) throw badRequest('a json patch must be a JSON array of operations');
  const ops = patch.map(decodeOperation);
  return ops.reduce<unknown>((acc, op) => applyOne(acc, op), clone(doc));
}
