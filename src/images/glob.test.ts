import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import fc from 'fast-check';

import { quote } from './errors.js';
import { compileGlob, GlobSyntaxError } from './glob.js';

const HOSTILE = `${'*a'.repeat(25)}*b`;

describe('glob matching', () => {
  const cases: readonly [pattern: string, text: string, matches: boolean][] = [
    ['redis:[!6]', 'redis:5', true],
    ['redis:[!6]', 'redis:6', false],
    ['redis:[!6]', 'redis:66', false],
    ['redis:[^6]', 'redis:7', true],
    ['redis:[^6]', 'redis:6', false],
    ['[!a-c]', 'd', true],
    ['[!a-c]', 'b', false],
    ['v[0-9].[0-9]', 'v1.2', true],
    ['v[0-9].[0-9]', 'v1.x', false],
    ['[a-cx-z]', 'y', true],
    ['[a-cx-z]', 'm', false],
    ['[]]', ']', true],
    ['[]]', 'a', false],
    ['[]a]', 'a', true],
    ['[]a]', ']', true],
    ['[!]]', ']', false],
    ['[!]]', 'x', true],
    ['[]-a]', '^', true],
    ['[a-]', '-', true],
    ['[-a]', '-', true],
    ['[a-]', 'b', false],
    ['[a^]', '^', true],
    ['[\\!a]', '!', true],
    ['[\\!a]', 'b', false],
    ['[\\]]', ']', true],
    ['[a\\-z]', '-', true],
    ['[a\\-z]', 'm', false],
    ['[[]', '[', true],
    ['a\\*b', 'a*b', true],
    ['a\\*b', 'axb', false],
    ['a\\?', 'a?', true],
    ['a\\?', 'ab', false],
    ['\\[x\\]', '[x]', true],
    ['\\[x\\]', 'x', false],
    ['a\\\\b', 'a\\b', true],
    ['\\a', 'a', true],
    ['?', 'a', true],
    ['?', '', false],
    ['?', 'ab', false],
    ['a?c', 'a/c', true],
    ['a?b', 'a\u{1F600}b', true],
    ['[\u{1F600}-\u{1F602}]', '\u{1F601}', true],
    ['*', '', true],
    ['*', 'a/b:c', true],
    ['**', 'x/y/z', true],
    ['a**b', 'a/x/b', true],
    ['a**b', 'a/x/c', false],
    ['*app*', 'reg.example:5000/team/app:v1', true],
    ['*/redis:*', 'docker.io/library/redis:7', true],
    ['*/redis:*', 'redis:7', false],
    ['alpine:3.*', 'alpine:3.20', true],
    ['a!', 'a!', true],
    ['a^', 'a^', true],
    ['', '', true],
    ['', 'a', false],
    ['*a*b', 'xaxxbx', false],
    ['*a*b*', 'xaxxbx', true],
    [HOSTILE, 'a'.repeat(5000), false],
    [HOSTILE, `${'a'.repeat(5000)}b`, true],
  ];
  for (const [pattern, text, matches] of cases) {
    const shown = text.length > 40 ? `${text.slice(0, 20)}… (${text.length} chars)` : text;
    test(`${quote(pattern)} ${matches ? 'matches' : 'does not match'} ${quote(shown)}`, () => {
      assert.equal(compileGlob(pattern)(text), matches);
    });
  }
});

describe('malformed globs', () => {
  const malformed: readonly [pattern: string, reason: RegExp][] = [
    ['[', /"\[" at character 1 is never closed/],
    ['alpine:[0-9', /"\[" at character 8 is never closed/],
    ['[]', /never closed.*"\[\]" is no class/],
    ['[!]', /never closed.*"\[\]" is no class/],
    ['[^]', /never closed/],
    ['[a\\]', /never closed/],
    ['[z-a]', /range "z-a" at character 4 runs backwards/],
    ['[a-\\]]', /range "a-\]" .* runs backwards/],
    ['alpine:*\\', /ends with a "\\" that escapes nothing/],
    ['[a\\', /escapes nothing/],
    ['redis:{6,7}', /brace expansion/],
    ['redis:6}', /brace expansion/],
    ['a@(b|c)', /extglob/],
    ['!alpine*', /leading "!"/],
    ['[[:digit:]]', /POSIX classes/],
    ['[a-[.x.]]', /POSIX classes/],
  ];
  for (const [pattern, reason] of malformed) {
    test(`refuses ${quote(pattern)} naming the pattern`, () => {
      assert.throws(
        () => compileGlob(pattern),
        (err: unknown) => {
          assert.ok(err instanceof GlobSyntaxError);
          assert.equal(err.code, 'GLOB_INVALID');
          assert.equal(err.context['pattern'], pattern);
          assert.ok(err.message.startsWith(`glob ${quote(pattern)} is malformed: `));
          assert.match(err.reason, reason);
          return true;
        },
      );
    });
  }
});

type Element = '*' | ((char: string) => boolean);

/**
 * An independent, exponential reading of the syntax for short inputs: find each class's closing
 * bracket first, then read its body; match by trying every split at every star.
 */
function reference(pattern: string, text: string): boolean | 'error' {
  const elements = referenceParse(Array.from(pattern));
  return elements === 'error' ? 'error' : referenceMatch(elements, Array.from(text), 0, 0);
}

function referenceParse(chars: readonly string[]): Element[] | 'error' {
  if (chars[0] === '!') return 'error';
  const elements: Element[] = [];
  for (let i = 0; i < chars.length; i += 1) {
    const char = chars[i] ?? '';
    if ('{}()'.includes(char)) return 'error';
    if (char === '*' || char === '?') {
      elements.push(char === '*' ? '*' : () => true);
    } else if (char === '\\') {
      const next = chars[(i += 1)];
      if (next === undefined) return 'error';
      elements.push((c) => c === next);
    } else if (char === '[') {
      const end = classEnd(chars, i);
      const member = end === undefined ? 'error' : referenceClass(chars.slice(i + 1, end));
      if (member === 'error') return 'error';
      elements.push(member);
      i = end ?? i;
    } else {
      elements.push((c) => c === char);
    }
  }
  return elements;
}

/** Index of the `]` closing the class opened at `open`. */
function classEnd(chars: readonly string[], open: number): number | undefined {
  let i = open + 1;
  if (chars[i] === '!' || chars[i] === '^') i += 1;
  if (chars[i] === ']') i += 1;
  while (i < chars.length && chars[i] !== ']') i += chars[i] === '\\' ? 2 : 1;
  return i < chars.length ? i : undefined;
}

function referenceClass(body: readonly string[]): Element | 'error' {
  const negated = body[0] === '!' || body[0] === '^';
  const units: { char: string; escaped: boolean }[] = [];
  for (let i = negated ? 1 : 0; i < body.length; i += 1) {
    const escaped = body[i] === '\\';
    if (escaped) i += 1;
    const char = body[i] ?? '';
    if (!escaped && char === '[' && ':.='.includes(body[i + 1] ?? '_')) return 'error';
    units.push({ char, escaped });
  }

  const ranges: [string, string][] = [];
  for (let i = 0; i < units.length; i += 1) {
    const low = units[i]?.char ?? '';
    const dash = units[i + 1];
    const high = units[i + 2];
    if (dash?.char !== '-' || dash.escaped || high === undefined) {
      ranges.push([low, low]);
      continue;
    }
    if (cp(high.char) < cp(low)) return 'error';
    ranges.push([low, high.char]);
    i += 2;
  }
  return (c) => ranges.some(([low, high]) => cp(low) <= cp(c) && cp(c) <= cp(high)) !== negated;
}

function cp(char: string): number {
  return char.codePointAt(0) ?? -1;
}

function referenceMatch(
  elements: readonly Element[],
  text: readonly string[],
  e: number,
  t: number,
): boolean {
  const element = elements[e];
  if (element === undefined) return t === text.length;
  if (element === '*') {
    for (let k = t; k <= text.length; k += 1) {
      if (referenceMatch(elements, text, e + 1, k)) return true;
    }
    return false;
  }
  const char = text[t];
  return char !== undefined && element(char) && referenceMatch(elements, text, e + 1, t + 1);
}

function compiled(pattern: string, text: string): boolean | 'error' {
  try {
    return compileGlob(pattern)(text);
  } catch (err: unknown) {
    if (err instanceof GlobSyntaxError) return 'error';
    throw err;
  }
}

const escapeGlob = (text: string): string => text.replace(/[*?[\]\\{}()!]/g, '\\$&');

describe('glob properties', () => {
  test('agrees with an exhaustive reference matcher on short patterns and texts', () => {
    const patternChar = fc.constantFrom(...Array.from('aab-]][[!^\\**?:/{'));
    const textChar = fc.constantFrom(...Array.from('aab-][!^\\:/'));
    const pattern = fc.array(patternChar, { maxLength: 8 }).map((cs) => cs.join(''));
    const text = fc.array(textChar, { maxLength: 12 }).map((cs) => cs.join(''));
    const seen = new Set<boolean | 'error'>();
    fc.assert(
      fc.property(pattern, text, (p, t) => {
        const expected = reference(p, t);
        seen.add(expected);
        assert.equal(compiled(p, t), expected);
      }),
      { numRuns: 3000 },
    );
    // The comparison covered matches, non-matches and malformed patterns alike.
    assert.deepEqual([...seen].sort(), [false, true, 'error'].sort());
  });

  test('every string is either a glob or a GlobSyntaxError naming it', () => {
    const text = fc.oneof(
      fc.string({ unit: 'binary' }),
      fc.string({ unit: fc.constantFrom(...Array.from('a[]!^-\\*?{')) }),
    );
    fc.assert(
      fc.property(text, text, (pattern, subject) => {
        let matcher: (text: string) => boolean;
        try {
          matcher = compileGlob(pattern);
        } catch (err: unknown) {
          assert.ok(err instanceof GlobSyntaxError);
          assert.ok(err.message.includes(quote(pattern)));
          assert.ok(err.reason.length > 0);
          return;
        }
        assert.equal(typeof matcher(subject), 'boolean');
      }),
      { numRuns: 500 },
    );
  });

  test('an escaped string matches itself and nothing else', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary' }), (text, other) => {
        const matches = compileGlob(escapeGlob(text));
        assert.equal(matches(text), true);
        assert.equal(matches(other), other === text);
      }),
    );
  });

  test('a string between stars matches exactly the texts that contain it', () => {
    const small = fc.string({ unit: fc.constantFrom('a', 'b', '/'), maxLength: 200 });
    fc.assert(
      fc.property(small, fc.string({ unit: fc.constantFrom('a', 'b'), maxLength: 6 }), (t, s) => {
        assert.equal(compileGlob(`*${escapeGlob(s)}*`)(t), t.includes(s));
      }),
    );
  });
});
