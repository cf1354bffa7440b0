import { ParseError } from '../errors.js';

/** Decodes a text database, refusing binary garbage early (NUL bytes never occur in them). */
export function decodeText(data: Buffer, format: string): string {
  if (data.includes(0)) throw new ParseError(`${format} contains NUL bytes: not a text file`);
  return data.toString('utf8');
}

export type Stanza = ReadonlyMap<string, string>;

export interface StanzaOptions {
  /**
   * Whether a line of only spaces and tabs continues the field above (email header folding, as
   * in Python metadata) instead of ending the stanza (deb822, as dpkg reads it).
   */
  readonly blankLinesContinue?: boolean;
}

/**
 * Splits RFC 822-style stanzas (dpkg status, Python METADATA): `Key: value` lines, continuation
 * lines starting with a blank, stanzas separated by empty lines. Keys are lower-cased.
 */
export function parseStanzas(
  text: string,
  format: string,
  maxStanzas: number,
  options: StanzaOptions = {},
): Stanza[] {
  const stanzas: Stanza[] = [];
  let current = new Map<string, string>();
  let lastKey: string | undefined;

  const lines = text.split('\n');
  for (let index = 0; index < lines.length; index += 1) {
    const line = (lines[index] ?? '').replace(/\r$/, '');
    const folded = options.blankLinesContinue === true && line !== '' && lastKey !== undefined;
    if (line.trim() === '' && !folded) {
      if (current.size > 0) stanzas.push(current);
      if (stanzas.length > maxStanzas) throw tooMany(format, maxStanzas);
      current = new Map();
      lastKey = undefined;
    } else if (line.startsWith(' ') || line.startsWith('\t')) {
      if (lastKey === undefined) throw badLine(format, index, 'continuation without a field');
      current.set(lastKey, `${current.get(lastKey) ?? ''}\n${line.trim()}`);
    } else {
      lastKey = parseField(line, format, index, current);
    }
  }
  if (current.size > 0) stanzas.push(current);
  if (stanzas.length > maxStanzas) throw tooMany(format, maxStanzas);
  return stanzas;
}

function parseField(
  line: string,
  format: string,
  index: number,
  into: Map<string, string>,
): string {
  const colon = line.indexOf(':');
  if (colon <= 0) throw badLine(format, index, 'expected "Field: value"');
  const key = line.slice(0, colon).trim().toLowerCase();
  into.set(key, line.slice(colon + 1).trim());
  return key;
}

export function tooMany(format: string, max: number): ParseError {
  return new ParseError(`${format} lists more than ${max} packages`, { limit: max });
}

function badLine(format: string, index: number, expected: string): ParseError {
  return new ParseError(`${format} line ${index + 1}: ${expected}`, { line: index + 1 });
}
