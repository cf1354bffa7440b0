import { readFile, stat } from 'node:fs/promises';

import { EraserError, errorMessage } from '../errors.js';

/** Bound on an image list file: a real list of references is far smaller. */
export const MAX_IMAGE_LIST_BYTES = 4 * 1024 * 1024;

export class ImageListFileError extends EraserError {
  constructor(file: string, reason: string, cause?: unknown) {
    super('IMAGE_LIST_FILE_INVALID', `image list ${file}: ${reason}`, { file, reason }, { cause });
  }
}

/**
 * Reads the images to remove from a file in any of the shapes users already have: an `ImageList`
 * manifest (YAML or JSON, `spec.images`), a JSON array of strings, or plain text with one
 * reference per line (`#` starts a comment).
 */
export async function readImageListFile(file: string): Promise<string[]> {
  let text: string;
  try {
    const info = await stat(file);
    if (!info.isFile()) throw new ImageListFileError(file, 'not a regular file');
    if (info.size > MAX_IMAGE_LIST_BYTES) {
      throw new ImageListFileError(file, `larger than ${MAX_IMAGE_LIST_BYTES} bytes`);
    }
    text = await readFile(file, 'utf8');
  } catch (err) {
    if (err instanceof ImageListFileError) throw err;
    throw new ImageListFileError(file, `cannot read: ${errorMessage(err)}`, err);
  }
  return parseImageList(text, file, (await import('yaml')).parse);
}

type YamlParse = (typeof import('yaml'))['parse'];

/**
 * Parses an image list's text. The YAML parser is passed in because the worker loads it only
 * when a file needs it: it is a sizeable part of a short-lived process's memory.
 */
export function parseImageList(text: string, file: string, parseYaml: YamlParse): string[] {
  const trimmed = text.replace(/^\uFEFF/, '').trim();
  if (trimmed === '') return [];
  if (!looksStructured(trimmed)) return plainLines(trimmed);

  let doc: unknown;
  try {
    doc = parseYaml(trimmed, { maxAliasCount: 100, uniqueKeys: true });
  } catch (err) {
    const several = /multiple documents/i.test(errorMessage(err));
    const reason = several
      ? 'holds several YAML documents; expected one ImageList'
      : `not valid YAML or JSON: ${errorMessage(err)}`;
    throw new ImageListFileError(file, reason, err);
  }
  return imagesOf(doc, file);
}

/**
 * Image references never hold `": "`, end a line with `:` or start with `- `, so any of those
 * (or JSON brackets, or a YAML document marker) means the file is YAML or JSON, not plain lines.
 */
function looksStructured(text: string): boolean {
  return /^[[{]/.test(text) || /^([A-Za-z_][\w.-]*:(\s|$)|-(\s|$)|---)/m.test(text);
}

function plainLines(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.replace(/#.*$/, '').trim())
    .filter((line) => line !== '');
}

function imagesOf(doc: unknown, file: string): string[] {
  checkKind(doc, file);
  const list = Array.isArray(doc) ? doc : (specImages(doc) ?? topImages(doc));
  if (!Array.isArray(list)) {
    const expected = 'a list of strings or an ImageList with spec.images';
    throw new ImageListFileError(file, `expected ${expected}`);
  }
  return list.map((item: unknown, index) => {
    if (typeof item !== 'string') {
      throw new ImageListFileError(file, `entry ${index} is ${typeof item}, expected a string`);
    }
    return item.trim();
  });
}

/** A manifest of another kind is a mistake worth stopping for, not something to guess at. */
function checkKind(doc: unknown, file: string): void {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return;
  const { kind, apiVersion } = doc as { kind?: unknown; apiVersion?: unknown };
  if (kind !== undefined && kind !== 'ImageList') {
    throw new ImageListFileError(file, `kind is ${shown(kind)}, expected ImageList`);
  }
  const known = typeof apiVersion === 'string' && /^eraser\.sh\/v1(alpha1)?$/.test(apiVersion);
  if (apiVersion !== undefined && !known) {
    const reason = `apiVersion is ${shown(apiVersion)}, expected eraser.sh/v1 or v1alpha1`;
    throw new ImageListFileError(file, reason);
  }
}

/**
 * A field's value for a message. Collections are named, not printed: YAML aliases can make a
 * list that holds itself (`kind: &k [*k]`), which JSON.stringify cannot render.
 */
function shown(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object' && value !== null) return 'a mapping';
  if (typeof value !== 'string') return String(value);
  return JSON.stringify(value.length > 80 ? `${value.slice(0, 77)}...` : value);
}

function topImages(doc: unknown): unknown {
  if (typeof doc !== 'object' || doc === null) return undefined;
  return (doc as { images?: unknown }).images;
}

function specImages(doc: unknown): unknown {
  if (typeof doc !== 'object' || doc === null) return undefined;
  const spec = (doc as { spec?: unknown }).spec;
  if (typeof spec !== 'object' || spec === null) return undefined;
  return (spec as { images?: unknown }).images;
}
