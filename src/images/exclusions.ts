/**
 * Eraser's exclusion lists (`{"excluded": [...]}`) with normalised matching and globs.
 *
 * Entry forms, tried in this order:
 * - `*` (or `**`): every image.
 * - `REPO/*`: every repository under a prefix: `docker.io/library/*`, `quay.io/org/*`,
 *   `myorg/*` (= `docker.io/myorg/*`), `quay.io/*` (a whole registry).
 * - `NAME:*`: every tag and digest of one repository (`alpine:*`).
 * - an exact reference: a tag, a digest, a full ID or a short ID, compared after normalisation
 *   (`alpine:3.7` excludes `docker.io/library/alpine:3.7`).
 * - any other entry holding `*`, `?` or `[`: a glob (see glob.ts): `*` crosses `/` since image
 *   names are not paths, `?` is one character, `[a-z]`, `[!6]` and `[^6]` are classes.
 *
 * Where a reading could exclude more or less, it excludes more, because a wrongly kept image
 * costs disk while a wrongly removed one breaks the user's intent:
 * - a name without tag or digest (`nginx`) excludes the whole repository, not just `:latest`;
 * - a bare digest excludes the image with that ID and any image with that repository digest;
 * - a short ID excludes every image whose ID starts with it (no ambiguity check);
 * - a `name:tag@digest` entry excludes an image that has that tag or that digest;
 * - globs are tried against each tag and digest as reported, fully qualified and in familiar
 *   form (`alpine:3.*` and `docker.io/library/alpine:3.*` both work), and against the image ID.
 *
 * A document with a key twice in one object is refused: `JSON.parse` would keep only the last
 * `"excluded"`, silently dropping the rules before it.
 *
 * Directories (mounted ConfigMaps): every regular file, whatever its name (ConfigMap keys such as
 * `excluded` carry no extension), must be an exclusion document; a file that is not fails the
 * whole load, so that a typo never silently drops exclusions. Entries starting with `..`
 * (Kubernetes' `..data` and timestamped folders) are skipped, symlinks are followed,
 * a sub-directory is an error (rules in it would be ignored) unless hidden, special files (FIFOs,
 * sockets) are skipped, nothing is read recursively.
 */
import { constants, type Dirent } from 'node:fs';
import { lstat, open, readdir, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';

import { errorMessage } from '../errors.js';
import type { RuntimeImage } from '../runtime/types.js';
import { ExclusionFileError, InvalidReferenceError, quote } from './errors.js';
import { compileGlob, GlobSyntaxError, type GlobMatcher } from './glob.js';
import { normaliseImage, type NormalisedEntry, type NormalisedImage } from './match.js';
import {
  DEFAULT_REGISTRY,
  familiarName,
  MAX_REFERENCE_LENGTH,
  parseReference,
  type NamedReference,
  type ParsedReference,
} from './reference.js';

export { ExclusionFileError } from './errors.js';

/** Largest exclusion file read; bigger files are refused rather than truncated. */
export const MAX_EXCLUSION_FILE_BYTES = 1024 * 1024;

export type ExclusionKind = 'all' | 'repository-prefix' | 'repository' | 'exact' | 'glob';

/** One compiled entry of an exclusion list. */
export interface ExclusionRule {
  /** The entry as written. */
  readonly rule: string;
  /** Where it came from: a file path or a name the caller chose (e.g. a ConfigMap). */
  readonly source: string;
  readonly kind: ExclusionKind;
  /** The image's own string (tag, digest or ID) this rule matches, if any. */
  match(image: RuntimeImage): string | undefined;
}

export interface ExclusionMatch {
  readonly rule: string;
  readonly source: string;
  /** The tag, digest or ID of the image, as the runtime reported it, that the rule matched. */
  readonly matched: string;
}

export interface ExclusionList {
  readonly rules: readonly ExclusionRule[];
  /** The first rule, in load order, that excludes the image. */
  match(image: RuntimeImage): ExclusionMatch | undefined;
}

type Matcher = (image: RuntimeImage, normalised: NormalisedImage) => string | undefined;

/** Builds a list from entries already read (e.g. ConfigMap data fetched from the API). */
export function compileExclusions(entries: readonly string[], source: string): ExclusionList {
  return listOf(entries.map((entry) => compileRule(entry, source)));
}

/** Concatenates lists; rules keep their order and sources. */
export function mergeExclusionLists(lists: readonly ExclusionList[]): ExclusionList {
  return listOf(lists.flatMap((list) => list.rules));
}

/** Parses one exclusion document; `source` names it in errors and matches. */
export function parseExclusionJson(text: string, source: string): ExclusionList {
  const body = text.startsWith('\uFEFF') ? text.slice(1) : text;
  let document: unknown;
  try {
    document = JSON.parse(body);
  } catch (err: unknown) {
    throw new ExclusionFileError(source, `not valid JSON (${errorMessage(err)})`, { cause: err });
  }

  const repeated = duplicateKey(body);
  if (repeated !== undefined) {
    const reason = `has the key ${quote(repeated)} twice in one object; JSON keeps only the last`;
    throw new ExclusionFileError(source, `${reason}, so the file is refused`);
  }

  return compileExclusions(excludedEntries(document, source), source);
}

/** Reads and parses one exclusion file (at most {@link MAX_EXCLUSION_FILE_BYTES}). */
export async function loadExclusionFile(path: string): Promise<ExclusionList> {
  return parseExclusionJson(await readBounded(path), path);
}

/** Reads every exclusion document in a directory; an empty directory excludes nothing. */
export async function loadExclusionDir(dir: string): Promise<ExclusionList> {
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err: unknown) {
    const reason = `cannot list the exclusion directory (${errorMessage(err)})`;
    throw new ExclusionFileError(dir, reason, { cause: err });
  }

  const names = entries
    .map((entry) => entry.name)
    .filter((name) => !name.startsWith('..'))
    .sort();

  const lists: ExclusionList[] = [];
  for (const name of names) {
    const path = join(dir, name);
    const kind = await entryKind(path);
    // Rules put in a sub-folder would be silently ignored; hidden ones (.git) are left alone.
    if (kind === 'dir' && !name.startsWith('.')) {
      const reason = 'is a folder; exclusion files must sit directly in the exclusion directory';
      throw new ExclusionFileError(path, reason);
    }
    if (kind === 'file') lists.push(await loadExclusionFile(path));
  }
  return mergeExclusionLists(lists);
}

function listOf(rules: readonly ExclusionRule[]): ExclusionList {
  return {
    rules,
    match(image: RuntimeImage): ExclusionMatch | undefined {
      for (const rule of rules) {
        const matched = rule.match(image);
        if (matched !== undefined) return { rule: rule.rule, source: rule.source, matched };
      }
      return undefined;
    },
  };
}

function excludedEntries(document: unknown, source: string): string[] {
  const expected = 'expected a JSON object like {"excluded": ["alpine:3.20"]}';
  if (typeof document !== 'object' || document === null || Array.isArray(document)) {
    throw new ExclusionFileError(source, `holds ${describe(document)}; ${expected}`);
  }

  const excluded = Object.hasOwn(document, 'excluded')
    ? (document as Record<string, unknown>)['excluded']
    : undefined;
  if (!Array.isArray(excluded)) {
    const found =
      excluded === undefined ? 'no "excluded" key' : `"excluded" as ${describe(excluded)}`;
    throw new ExclusionFileError(source, `has ${found}; ${expected}`);
  }

  return excluded.map((entry: unknown, index) => {
    if (typeof entry === 'string') return entry;
    throw new ExclusionFileError(
      source,
      `excluded[${index}] is ${describe(entry)}; expected a string such as "alpine:3.20"`,
    );
  });
}

/**
 * The first key found twice in one object of a text `JSON.parse` accepted, if any. Iterative, so
 * that deeply nested documents cannot overflow the stack.
 */
function duplicateKey(json: string): string | undefined {
  // One entry per open bracket: the keys seen so far in an object, undefined for an array.
  const open: (Set<string> | undefined)[] = [];
  let i = 0;
  while (i < json.length) {
    const char = json[i];
    if (char === '"') {
      const end = stringEnd(json, i);
      const keys = open.at(-1);
      if (keys !== undefined && json[skipWhitespace(json, end)] === ':') {
        const raw = json.slice(i, end);
        const key = raw.includes('\\') ? (JSON.parse(raw) as string) : raw.slice(1, -1);
        if (keys.has(key)) return key;
        keys.add(key);
      }
      i = end;
      continue;
    }

    if (char === '{') open.push(new Set());
    else if (char === '[') open.push(undefined);
    else if (char === '}' || char === ']') open.pop();
    i += 1;
  }
  return undefined;
}

/** Index just past the string literal that opens at `start`. */
function stringEnd(json: string, start: number): number {
  let i = start + 1;
  while (i < json.length && json[i] !== '"') i += json[i] === '\\' ? 2 : 1;
  return i + 1;
}

function skipWhitespace(json: string, start: number): number {
  let i = start;
  while (json[i] === ' ' || json[i] === '\t' || json[i] === '\n' || json[i] === '\r') i += 1;
  return i;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

function compileRule(rule: string, source: string): ExclusionRule {
  const build = (kind: ExclusionKind, matcher: Matcher): ExclusionRule => ({
    rule,
    source,
    kind,
    match: (image) => matcher(image, normaliseImage(image)),
  });

  if (rule === '*' || rule === '**') return build('all', (image) => image.repoTags[0] ?? image.id);

  const suffix = rule.endsWith('/*') ? '/*' : rule.endsWith(':*') ? ':*' : '';
  const head = rule.slice(0, rule.length - suffix.length);
  // `name@sha256:*` ends like `NAME:*` but is a glob over digests.
  if (/[*?]/.test(head) || (suffix === ':*' && head.includes('@'))) {
    return build('glob', globMatcher(rule, source));
  }

  try {
    if (suffix === '/*') return build('repository-prefix', repositoryPrefixMatcher(head));
    if (suffix === ':*') return build('repository', repositoryMatcher(head));
    return build('exact', exactMatcher(rule, parseReference(rule)));
  } catch (err: unknown) {
    if (!(err instanceof InvalidReferenceError)) throw err;
    // `[` is both a glob class and the IPv6 registry bracket: a glob only if it did not parse.
    // Braces go to the glob parser too, which explains that they are not supported.
    if (/[[{]/.test(head)) return build('glob', globMatcher(rule, source));
    const reason = `entry ${quote(rule)} is not an image reference or pattern (${err.reason})`;
    throw new ExclusionFileError(source, reason, { entry: rule, cause: err });
  }
}

/** `REPO/*`: every repository whose name starts with the normalised prefix. */
function repositoryPrefixMatcher(head: string): Matcher {
  const prefix = repositoryPrefix(head);
  return byName((name) => name.startsWith(prefix));
}

/** `NAME:*`: every tag and digest of one repository. */
function repositoryMatcher(head: string): Matcher {
  if (hasTagOrDigest(head)) {
    throw new InvalidReferenceError(head, 'expected a repository name without tag before :*');
  }
  // With a tag appended the head can only read as a name, even when it is all hex digits.
  const ref = parseReference(`${head}:latest`);
  if (ref.kind !== 'name') throw new InvalidReferenceError(head, 'expected a repository name');
  return byName((name) => name === ref.name);
}

/** `quay.io` → `quay.io/`; `myorg` → `docker.io/myorg/`; `docker.io/library` → itself + `/`. */
function repositoryPrefix(head: string): string {
  // A placeholder last component lets the reference parser validate and apply Hub defaults.
  const probe = parseReference(`${head}/x`);
  if (probe.kind !== 'name') throw new InvalidReferenceError(head, 'expected a repository');

  const isRegistryOnly = !head.includes('/') && (head === 'localhost' || /[.:]/.test(head));
  return isRegistryOnly ? `${probe.registry}/` : probe.name.slice(0, -'x'.length);
}

function hasTagOrDigest(text: string): boolean {
  return text.includes('@') || text.lastIndexOf(':') > text.lastIndexOf('/');
}

function byName(test: (name: string) => boolean): Matcher {
  return (_image, normalised) => {
    const hit = [...normalised.tags, ...normalised.digests].find((e) => test(e.ref.name));
    return hit?.raw;
  };
}

function exactMatcher(rule: string, ref: ParsedReference): Matcher {
  switch (ref.kind) {
    case 'id':
      return (image, normalised) =>
        normalised.id === ref.id
          ? image.id
          : normalised.digests.find((d) => d.ref.digest === ref.id)?.raw;
    case 'id-prefix': {
      // 12+ hex digits are also a valid repository name; when in doubt, exclude both readings.
      const asRepository = byName((n) => n === `${DEFAULT_REGISTRY}/library/${ref.prefix}`);
      return (image, normalised) =>
        normalised.id.slice(normalised.id.indexOf(':') + 1).startsWith(ref.prefix)
          ? image.id
          : asRepository(image, normalised);
    }
    case 'name':
      return hasTagOrDigest(rule) ? tagOrDigestMatcher(ref) : byName((n) => n === ref.name);
  }
}

function tagOrDigestMatcher(ref: NamedReference): Matcher {
  return (_image, normalised) => {
    const sameName = (e: NormalisedEntry): boolean => e.ref.name === ref.name;
    const tag = normalised.tags.find((t) => sameName(t) && t.ref.tag === ref.tag);
    if (ref.tag !== undefined && tag !== undefined) return tag.raw;

    if (ref.digest === undefined) return undefined;
    return normalised.digests.find((d) => sameName(d) && d.ref.digest === ref.digest)?.raw;
  };
}

function globMatcher(rule: string, source: string): Matcher {
  if (rule.length > MAX_REFERENCE_LENGTH || /[\s\p{Cc}]/u.test(rule) || rule.includes('://')) {
    const reason = `glob ${quote(rule)} holds whitespace or a scheme, or is too long`;
    throw new ExclusionFileError(source, reason, { entry: rule });
  }

  let isMatch: GlobMatcher;
  try {
    isMatch = compileGlob(rule);
  } catch (err: unknown) {
    if (!(err instanceof GlobSyntaxError)) throw err;
    const reason = `glob ${quote(rule)} is malformed (${err.reason})`;
    throw new ExclusionFileError(source, reason, { entry: rule, cause: err });
  }
  return (image, normalised) => {
    const entries = [...normalised.tags, ...normalised.digests];
    const hit = entries.find(
      (e) => isMatch(e.raw) || isMatch(e.ref.normalized) || isMatch(familiarName(e.ref)),
    );
    if (hit !== undefined) return hit.raw;
    return isMatch(image.id) || isMatch(normalised.id) ? image.id : undefined;
  };
}

/** What a directory entry is, symlinks followed; `other` for special files and races. */
async function entryKind(path: string): Promise<'file' | 'dir' | 'other'> {
  try {
    const info = await stat(path);
    if (info.isFile()) return 'file';
    return info.isDirectory() ? 'dir' : 'other';
  } catch (err: unknown) {
    if (await vanished(path)) return 'other';
    const reason = `cannot follow directory entry (${errorMessage(err)})`;
    throw new ExclusionFileError(path, reason, { cause: err });
  }
}

/** The entry itself is gone (removed between listing and reading), not a broken link. */
async function vanished(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return false;
  } catch {
    return true;
  }
}

async function readBounded(path: string): Promise<string> {
  let handle: FileHandle;
  try {
    // O_NONBLOCK: opening a FIFO planted in the directory must not hang the worker.
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err: unknown) {
    throw new ExclusionFileError(path, `cannot open (${errorMessage(err)})`, { cause: err });
  }

  try {
    if (!(await handle.stat()).isFile()) throw new ExclusionFileError(path, 'not a regular file');
    const bytes = await readUpTo(handle, MAX_EXCLUSION_FILE_BYTES + 1);
    if (bytes.length > MAX_EXCLUSION_FILE_BYTES) {
      throw new ExclusionFileError(path, `larger than ${MAX_EXCLUSION_FILE_BYTES} bytes`);
    }
    return decodeUtf8(bytes, path);
  } finally {
    await handle.close();
  }
}

async function readUpTo(handle: FileHandle, limit: number): Promise<Buffer> {
  const buffer = Buffer.alloc(limit);
  let filled = 0;
  while (filled < limit) {
    const { bytesRead } = await handle.read(buffer, filled, limit - filled, filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return buffer.subarray(0, filled);
}

function decodeUtf8(bytes: Buffer, path: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (err: unknown) {
    throw new ExclusionFileError(path, 'not valid UTF-8 text', { cause: err });
  }
}
