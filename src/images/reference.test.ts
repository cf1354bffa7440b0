import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import fc from 'fast-check';

import {
  familiarName,
  formatReference,
  InvalidReferenceError,
  isDigest,
  parseReference,
  type ParsedReference,
} from './reference.js';

const HEX64 = '0123456789abcdef'.repeat(4);
const SHA256 = `sha256:${HEX64}`;
const SHA512 = `sha512:${'ab'.repeat(64)}`;

// [input, normalized, registry, repository, familiar form]
type NameCase = readonly [string, string, string, string, string];

const NAME_CASES: readonly NameCase[] = [
  ['alpine', 'docker.io/library/alpine:latest', 'docker.io', 'library/alpine', 'alpine:latest'],
  ['alpine:3.20', 'docker.io/library/alpine:3.20', 'docker.io', 'library/alpine', 'alpine:3.20'],
  [
    'docker.io/alpine',
    'docker.io/library/alpine:latest',
    'docker.io',
    'library/alpine',
    'alpine:latest',
  ],
  [
    'docker.io/library/alpine:3.7',
    'docker.io/library/alpine:3.7',
    'docker.io',
    'library/alpine',
    'alpine:3.7',
  ],
  [
    'index.docker.io/library/alpine:3',
    'docker.io/library/alpine:3',
    'docker.io',
    'library/alpine',
    'alpine:3',
  ],
  [
    'index.docker.io/bitnami/redis:7',
    'docker.io/bitnami/redis:7',
    'docker.io',
    'bitnami/redis',
    'bitnami/redis:7',
  ],
  ['foo/bar:5000', 'docker.io/foo/bar:5000', 'docker.io', 'foo/bar', 'foo/bar:5000'],
  ['localhost/foo', 'localhost/foo:latest', 'localhost', 'foo', 'localhost/foo:latest'],
  [
    'localhost:5000/foo:bar',
    'localhost:5000/foo:bar',
    'localhost:5000',
    'foo',
    'localhost:5000/foo:bar',
  ],
  [
    'localhost:5000',
    'docker.io/library/localhost:5000',
    'docker.io',
    'library/localhost',
    'localhost:5000',
  ],
  [
    '127.0.0.1:5000/a/b',
    '127.0.0.1:5000/a/b:latest',
    '127.0.0.1:5000',
    'a/b',
    '127.0.0.1:5000/a/b:latest',
  ],
  ['[::1]:5000/x:v1', '[::1]:5000/x:v1', '[::1]:5000', 'x', '[::1]:5000/x:v1'],
  [
    '[2001:db8::1]/team/app',
    '[2001:db8::1]/team/app:latest',
    '[2001:db8::1]',
    'team/app',
    '[2001:db8::1]/team/app:latest',
  ],
  [
    'quay.io/org/app:v1.2-rc_1',
    'quay.io/org/app:v1.2-rc_1',
    'quay.io',
    'org/app',
    'quay.io/org/app:v1.2-rc_1',
  ],
  ['Registry/app', 'Registry/app:latest', 'Registry', 'app', 'Registry/app:latest'],
  [
    'my-reg:443/a__b/c--d/e.f',
    'my-reg:443/a__b/c--d/e.f:latest',
    'my-reg:443',
    'a__b/c--d/e.f',
    'my-reg:443/a__b/c--d/e.f:latest',
  ],
  [
    `ubuntu@${SHA256}`,
    `docker.io/library/ubuntu@${SHA256}`,
    'docker.io',
    'library/ubuntu',
    `ubuntu@${SHA256}`,
  ],
  [`a:b@${SHA256}`, `docker.io/library/a:b@${SHA256}`, 'docker.io', 'library/a', `a:b@${SHA256}`],
  [`x@${SHA512}`, `docker.io/library/x@${SHA512}`, 'docker.io', 'library/x', `x@${SHA512}`],
  [
    'docker.io/example.com/app:1',
    'docker.io/example.com/app:1',
    'docker.io',
    'example.com/app',
    'docker.io/example.com/app:1',
  ],
  ['library/a/b:1', 'docker.io/library/a/b:1', 'docker.io', 'library/a/b', 'library/a/b:1'],
  [
    'library/sha256:1',
    'docker.io/library/sha256:1',
    'docker.io',
    'library/sha256',
    'library/sha256:1',
  ],
  [
    `app:${'t'.repeat(128)}`,
    `docker.io/library/app:${'t'.repeat(128)}`,
    'docker.io',
    'library/app',
    `app:${'t'.repeat(128)}`,
  ],
  ['cafe', 'docker.io/library/cafe:latest', 'docker.io', 'library/cafe', 'cafe:latest'],
];

describe('parseReference on names', () => {
  for (const [input, normalized, registry, repository] of NAME_CASES) {
    test(`normalises ${input.slice(0, 40)} to ${normalized.slice(0, 50)}`, () => {
      const ref = parseReference(input);
      assert.equal(ref.kind, 'name');
      assert.equal(ref.normalized, normalized);
      assert.equal(ref.registry, registry);
      assert.equal(ref.repository, repository);
      assert.equal(ref.name, `${registry}/${repository}`);
    });
  }

  test('adds the latest tag only when neither tag nor digest is given', () => {
    assert.deepEqual(parseReference('alpine'), {
      kind: 'name',
      registry: 'docker.io',
      repository: 'library/alpine',
      name: 'docker.io/library/alpine',
      tag: 'latest',
      normalized: 'docker.io/library/alpine:latest',
    });
    const digested = parseReference(`alpine@${SHA256}`);
    assert.equal('tag' in digested, false);
  });

  test('keeps both tag and digest when both are given', () => {
    const ref = parseReference(`alpine:3.20@${SHA256}`);
    assert.equal(ref.kind === 'name' && ref.tag, '3.20');
    assert.equal(ref.kind === 'name' && ref.digest, SHA256);
  });
});

describe('familiarName', () => {
  test('drops docker.io and library/ like the docker CLI', () => {
    assert.equal(familiarName(parseReference('docker.io/library/alpine:3.20')), 'alpine:3.20');
    assert.equal(familiarName(parseReference('docker.io/bitnami/redis:7')), 'bitnami/redis:7');
  });

  test('keeps docker.io when the first path component would read as a registry', () => {
    const ref = parseReference('docker.io/example.com/app:1');
    assert.equal(familiarName(ref), 'docker.io/example.com/app:1');
    assert.deepEqual(parseReference(familiarName(ref)), ref);
  });

  for (const [input, , , , familiar] of NAME_CASES) {
    test(`gives ${familiar.slice(0, 40)} for ${input.slice(0, 40)}, which parses back`, () => {
      const ref = parseReference(input);
      assert.equal(familiarName(ref), familiar);
      assert.deepEqual(parseReference(familiar), ref);
    });
  }

  test('leaves IDs and ID prefixes as they are', () => {
    assert.equal(familiarName(parseReference(HEX64)), SHA256);
    assert.equal(familiarName(parseReference('0123456789ab')), '0123456789ab');
  });
});

describe('parseReference on IDs', () => {
  const cases: readonly [string, ParsedReference][] = [
    [HEX64, { kind: 'id', id: SHA256 }],
    [SHA256, { kind: 'id', id: SHA256 }],
    [SHA512, { kind: 'id', id: SHA512 }],
    ['0123456789ab', { kind: 'id-prefix', prefix: '0123456789ab' }],
    ['sha256:0123456789abc', { kind: 'id-prefix', prefix: '0123456789abc' }],
    [HEX64.slice(0, 63), { kind: 'id-prefix', prefix: HEX64.slice(0, 63) }],
  ];
  for (const [input, expected] of cases) {
    test(`reads ${input.slice(0, 24)}… (${input.length} chars) as ${expected.kind}`, () => {
      assert.deepEqual(parseReference(input), expected);
    });
  }

  test('reads hex strings shorter than 12 digits as repository names', () => {
    assert.equal(parseReference('0123456789a').kind, 'name');
  });

  test('reads a 64-hex name with a tag as a repository, not an ID', () => {
    assert.equal(parseReference(`${HEX64}:1`).kind, 'name');
  });
});

describe('parseReference rejects', () => {
  const cases: readonly [string, string, RegExp][] = [
    ['an empty string', '', /empty/],
    ['uppercase in the repository', 'Alpine', /lowercase/],
    ['uppercase below a registry', 'quay.io/Org/app', /lowercase/],
    ['a short digest', 'a:b@sha256:short', /64 lowercase hex/],
    ['uppercase digest hex', `a@sha256:${HEX64.toUpperCase()}`, /lowercase hex/],
    ['an unknown digest algorithm', `a@md5:${HEX64}`, /unsupported digest algorithm/],
    ['a sha512 digest of sha256 length', `a@sha512:${HEX64}`, /128 lowercase hex/],
    ['a digest without algorithm', `a@${HEX64}`, /algorithm:hex/],
    ['a bare sha256 with few digits', 'sha256:abc', /64 lowercase hex/],
    ['a trailing colon', 'alpine:', /ends with ':'/],
    ['a trailing at sign', 'alpine@', /ends with '@'/],
    ['a tag of 129 characters', `app:${'t'.repeat(129)}`, /at most 128/],
    ['a tag starting with a dot', 'app:.x', /must start with/],
    ['a tag starting with a dash', 'app:-x', /must start with/],
    ['a tag with a plus', 'app:1+2', /must start with/],
    ['leading whitespace', ' alpine', /whitespace/],
    ['an inner newline', 'alp\nine', /whitespace/],
    ['a NUL byte', 'alp\u0000ine', /control/],
    ['a docker:// scheme', 'docker://alpine', /scheme/],
    ['an https:// scheme', 'https://quay.io/a/b', /scheme/],
    ['a double slash', 'a//b', /empty path component/],
    ['a leading slash', '/alpine', /empty path component/],
    ['a trailing slash', 'alpine/', /empty path component/],
    ['a registry without repository', 'localhost:5000/', /empty path component/],
    ['a tag without name', ':latest', /empty path component/],
    ['a digest without name', `@${SHA256}`, /empty path component/],
    ['a leading separator in a component', 'a/-b', /path component/],
    ['a triple underscore', 'a___b', /path component/],
    ['two dots', 'a..b', /path component/],
    ['a non-numeric port', 'host:port/a', /port/],
    ['an unclosed IPv6 host', '[::1/a', /IPv6/],
    ['an IPv6 zone', '[fe80::1%eth0]/a', /IPv6/],
    ['a host component ending in a dash', 'bad-.example/a', /host component/],
    ['an empty host component', 'a..example/b', /empty host/],
    ['two at signs', `a@${SHA256}@${SHA256}`, /lowercase hex/],
    ['a name over 255 characters', `${'a'.repeat(240)}/${'b'.repeat(20)}`, /more than 255/],
    ['over 1024 characters', 'a'.repeat(1025), /longer than 1024/],
    ['the ImageList wildcard', '*', /path component/],
  ];
  for (const [what, input, reason] of cases) {
    test(`${what} with InvalidReferenceError naming the input and reason`, () => {
      assert.throws(
        () => parseReference(input),
        (err: unknown) => {
          assert.ok(err instanceof InvalidReferenceError);
          assert.equal(err.code, 'INVALID_REFERENCE');
          assert.match(err.reason, reason);
          assert.equal(err.context['reason'], err.reason);
          assert.ok(err.message.includes(JSON.stringify(input.slice(0, 200)).slice(0, 100)));
          return true;
        },
      );
    });
  }

  test('names of exactly 255 characters are accepted', () => {
    const input = `localhost/${'a'.repeat(245)}`;
    assert.equal(parseReference(input).kind, 'name');
  });

  test('huge inputs are quoted shortened in the message', () => {
    const err = captureError(() => parseReference(' '.repeat(100_000)));
    assert.ok(err.message.length < 400);
  });
});

describe('isDigest', () => {
  test('accepts canonical digests and refuses others', () => {
    assert.equal(isDigest(SHA256), true);
    assert.equal(isDigest(SHA512), true);
    assert.equal(isDigest(`sha256:${HEX64}0`), false);
    assert.equal(isDigest(HEX64), false);
  });
});

// Grammar-driven generators: every string they build is a valid reference.
const component = fc.stringMatching(/^[a-z0-9]{1,8}(?:(?:[._]|__|-{1,3})[a-z0-9]{1,8}){0,2}$/);
const domainPart = fc.stringMatching(/^[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,6}[a-zA-Z0-9])?$/);
const registry = fc.oneof(
  fc.constant(''),
  fc.constantFrom('localhost', 'docker.io', 'index.docker.io', '[::1]', '[2001:db8::7]'),
  fc.tuple(domainPart, domainPart).map(([a, b]) => `${a}.${b}`),
  fc.ipV4(),
);
const port = fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined });
const tag = fc.option(fc.stringMatching(/^\w[\w.-]{0,20}$/), { nil: undefined });
const digest = fc.option(
  fc.oneof(
    fc.stringMatching(/^[a-f0-9]{64}$/).map((h) => `sha256:${h}`),
    fc.stringMatching(/^[a-f0-9]{128}$/).map((h) => `sha512:${h}`),
  ),
  { nil: undefined },
);
const validReference = fc
  .record({
    registry,
    port,
    path: fc.array(component, { minLength: 1, maxLength: 4 }),
    tag,
    digest,
  })
  // Without a registry, a first path component like `a.b` or `localhost` would read as one.
  .filter(({ registry: r, path }) => r !== '' || !/^localhost$|\./.test(path[0] ?? ''))
  .map(({ registry: r, port: p, path, tag: t, digest: d }) => {
    const host = r === '' ? '' : `${r}${p === undefined ? '' : `:${p}`}/`;
    return `${host}${path.join('/')}${t === undefined ? '' : `:${t}`}${d ? `@${d}` : ''}`;
  })
  // All-hex strings read as IDs by design.
  .filter((s) => !/^[a-f0-9]{12,64}$/.test(s));

describe('properties', () => {
  test('every string built from the grammar parses', () => {
    fc.assert(
      fc.property(validReference, (input) => {
        parseReference(input);
      }),
    );
  });

  test('normalising is idempotent', () => {
    fc.assert(
      fc.property(validReference, (input) => {
        const once = formatReference(parseReference(input));
        assert.equal(formatReference(parseReference(once)), once);
      }),
    );
  });

  test('formatting a parsed reference and parsing it again gives the same reference', () => {
    fc.assert(
      fc.property(validReference, (input) => {
        const ref = parseReference(input);
        assert.deepEqual(parseReference(formatReference(ref)), ref);
        assert.deepEqual(parseReference(familiarName(ref)), ref);
      }),
    );
  });

  test('a parsed name keeps the tag and digest it was given', () => {
    fc.assert(
      fc.property(validReference, (input) => {
        const ref = parseReference(input);
        if (ref.kind !== 'name') return;
        if (ref.digest !== undefined) assert.ok(input.endsWith(`@${ref.digest}`));
        if (ref.tag !== undefined && ref.tag !== 'latest') {
          assert.ok(input.includes(`:${ref.tag}`));
        }
      }),
    );
  });

  test('random strings never raise anything but InvalidReferenceError', () => {
    const alphabet = fc.constantFrom(
      ...'abcdefAZ0189:/@.-_[]%* \t\nsha256'.split(''),
      'sha256:',
      'localhost',
      HEX64.slice(0, 12),
    );
    const text = fc.oneof(
      fc.string({ maxLength: 80 }),
      fc.string({ unit: 'binary', maxLength: 80 }),
      fc.array(alphabet, { maxLength: 30 }).map((parts) => parts.join('')),
    );
    fc.assert(
      fc.property(text, (input) => {
        try {
          const ref = parseReference(input);
          assert.deepEqual(parseReference(formatReference(ref)), ref);
        } catch (err: unknown) {
          if (!(err instanceof InvalidReferenceError)) throw err;
        }
      }),
      { numRuns: 2000 },
    );
  });
});

function captureError(fn: () => unknown): Error {
  try {
    fn();
  } catch (err: unknown) {
    if (err instanceof Error) return err;
  }
  throw new Error('expected the call to throw');
}
