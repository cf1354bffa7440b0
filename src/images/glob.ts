/**
 * Shell-style globs for exclusion entries, matched in O(pattern × text) time.
 *
 * Syntax: `*` matches any run of characters, `/` included (`**` is the same as `*`); `?` matches
 * one character; `[abc]`, `[a-z]` and the negations `[!…]` / `[^…]` match one character of (or
 * not of) a class, where a `]` right after the opening `[` (or `[!`, `[^`) and a `-` first or
 * last are literal members; `\` makes the next character literal, inside a class too. Characters
 * are Unicode code points.
 *
 * Patterns come from ConfigMaps that every worker reads, so they are never compiled to regular
 * expressions: a backtracking regex for `*a*a*a…b` runs for hours and cannot be interrupted.
 * The matcher below backtracks only to the last `*` it passed, which bounds the work by the
 * product of the two lengths.
 *
 * Brace expansion, extglob groups, a leading `!` and POSIX classes (`[[:digit:]]`) are refused
 * rather than read literally: none of their characters can occur in an image name, so a literal
 * reading would be a rule that silently never matches.
 */
import { EraserError } from '../errors.js';
import { quote } from './errors.js';

/** A glob that is not well formed; `reason` says what, without repeating the pattern. */
export class GlobSyntaxError extends EraserError {
  readonly reason: string;

  constructor(pattern: string, reason: string) {
    super('GLOB_INVALID', `glob ${quote(pattern)} is malformed: ${reason}`, { pattern, reason });
    this.reason = reason;
  }
}

/** Tells whether a whole string matches the compiled glob. */
export type GlobMatcher = (text: string) => boolean;

type Range = readonly [low: number, high: number];

type Token =
  | { readonly kind: 'star' }
  | { readonly kind: 'any' }
  | { readonly kind: 'literal'; readonly char: string }
  | { readonly kind: 'class'; readonly negated: boolean; readonly ranges: readonly Range[] };

const STAR: Token = { kind: 'star' };
const ANY: Token = { kind: 'any' };

/** Compiles a glob; throws {@link GlobSyntaxError} when it is malformed. */
export function compileGlob(pattern: string): GlobMatcher {
  const tokens = parseGlob(pattern);
  return (text) => matchTokens(tokens, Array.from(text));
}

/** Reads a pattern's characters one code point at a time. */
class Cursor {
  private readonly chars: readonly string[];
  private index = 0;

  constructor(readonly pattern: string) {
    this.chars = Array.from(pattern);
  }

  /** 1-based position of the character last read, for error messages. */
  get position(): number {
    return this.index;
  }

  peek(ahead = 0): string | undefined {
    return this.chars[this.index + ahead];
  }

  next(): string | undefined {
    const char = this.chars[this.index];
    if (char !== undefined) this.index += 1;
    return char;
  }

  fail(reason: string): never {
    throw new GlobSyntaxError(this.pattern, reason);
  }
}

function parseGlob(pattern: string): Token[] {
  const cursor = new Cursor(pattern);
  const tokens: Token[] = [];
  for (let char = cursor.next(); char !== undefined; char = cursor.next()) {
    if (char === '*') {
      if (tokens.at(-1)?.kind !== 'star') tokens.push(STAR);
    } else if (char === '?') {
      tokens.push(ANY);
    } else if (char === '[') {
      tokens.push(parseClass(cursor));
    } else if (char === '\\') {
      tokens.push({ kind: 'literal', char: escaped(cursor) });
    } else {
      refuseOperator(char, cursor);
      tokens.push({ kind: 'literal', char });
    }
  }
  return tokens;
}

function escaped(cursor: Cursor): string {
  return cursor.next() ?? cursor.fail('it ends with a "\\" that escapes nothing');
}

function refuseOperator(char: string, cursor: Cursor): void {
  if (char === '{' || char === '}') {
    cursor.fail('brace expansion {a,b} is not supported; write one entry per alternative');
  }
  if (char === '(' || char === ')') {
    cursor.fail('extglob groups such as @(a|b) are not supported; use *, ? and [...] only');
  }
  if (char === '!' && cursor.position === 1) {
    cursor.fail('a leading "!" (negation) is not supported; exclusions only add');
  }
}

/** Reads a class after its `[`, up to and including the closing `]`. */
function parseClass(cursor: Cursor): Token {
  const opened = cursor.position;
  const first = cursor.peek();
  const negated = first === '!' || first === '^';
  if (negated) cursor.next();

  const ranges: Range[] = [];
  for (let char = cursor.next(); char !== ']' || ranges.length === 0; char = cursor.next()) {
    if (char === undefined) unclosed(cursor, opened, ranges);
    ranges.push(classMember(char, cursor));
  }
  return { kind: 'class', negated, ranges };
}

function unclosed(cursor: Cursor, opened: number, ranges: readonly Range[]): never {
  const onlyBracket = ranges.length === 1 && ranges[0]?.[0] === 0x5d && ranges[0][1] === 0x5d;
  const hint = onlyBracket ? ' (a "]" right after "[" is a member, so "[]" is no class)' : '';
  return cursor.fail(`the "[" at character ${opened} is never closed by a "]"${hint}`);
}

/** One member: a character or, when a `-` and a character other than `]` follow, a range. */
function classMember(char: string, cursor: Cursor): Range {
  const low = classChar(char, cursor);
  const after = cursor.peek(1);
  if (cursor.peek() !== '-' || after === undefined || after === ']') return [low, low];

  cursor.next();
  cursor.next();
  const high = classChar(after, cursor);
  if (high < low) {
    const range = `${String.fromCodePoint(low)}-${String.fromCodePoint(high)}`;
    cursor.fail(`the range "${range}" at character ${cursor.position} runs backwards`);
  }
  return [low, high];
}

function classChar(char: string, cursor: Cursor): number {
  if (char === '\\') return codePoint(escaped(cursor));
  const next = cursor.peek();
  if (char === '[' && (next === ':' || next === '.' || next === '=')) {
    cursor.fail(`POSIX classes such as [[:digit:]] are not supported; list the characters`);
  }
  return codePoint(char);
}

function codePoint(char: string): number {
  return char.codePointAt(0) ?? 0;
}

/**
 * Classic wildcard matching: on a mismatch, retry from the last `*` with that star taking one
 * more character. Every token but `*` takes exactly one character, so a later star never needs
 * an earlier one to take more, and each retry moves the star's start right: at most
 * (text + 1) × (tokens + 1) steps.
 */
function matchTokens(tokens: readonly Token[], text: readonly string[]): boolean {
  let p = 0;
  let t = 0;
  let starToken = -1;
  let starText = 0;
  for (let char = text[t]; char !== undefined; char = text[t]) {
    const token = tokens[p];
    if (token?.kind === 'star') {
      starToken = p;
      starText = t;
      p += 1;
    } else if (token !== undefined && matchesOne(token, char)) {
      p += 1;
      t += 1;
    } else if (starToken >= 0) {
      p = starToken + 1;
      starText += 1;
      t = starText;
    } else {
      return false;
    }
  }

  while (tokens[p]?.kind === 'star') p += 1;
  return p === tokens.length;
}

function matchesOne(token: Exclude<Token, { kind: 'star' }>, char: string): boolean {
  switch (token.kind) {
    case 'any':
      return true;
    case 'literal':
      return token.char === char;
    case 'class': {
      const code = codePoint(char);
      const inClass = token.ranges.some(([low, high]) => low <= code && code <= high);
      return inClass !== token.negated;
    }
  }
}
