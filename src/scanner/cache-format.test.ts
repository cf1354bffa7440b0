import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  CACHE_FORMAT,
  CacheFormatError,
  HEADER_BYTES,
  decodeEntry,
  decodeIndexPayload,
  decodeLayerPayload,
  encodeEntry,
  encodeIndexPayload,
  encodeLayerPayload,
  type CacheFormatReason,
} from './cache-format.js';
import type { LayerContent } from './layers/layer-content.js';
import { PathHashes } from './layers/path-hashes.js';
import type { ScanWarning } from './types.js';

const text = fc.string({ unit: 'binary', maxLength: 30 });
const bytes = fc.uint8Array({ maxLength: 6000 }).map((data) => Buffer.from(data));

const warningArb: fc.Arbitrary<ScanWarning> = fc.record(
  { code: text, message: text, layer: text, path: text },
  { requiredKeys: ['code', 'message'], noNullPrototype: true },
);

const hashesArb = fc.array(text, { maxLength: 6 }).map((paths) => PathHashes.of(paths));

const contentArb: fc.Arbitrary<LayerContent> = fc.record(
  {
    digest: text,
    diffId: text,
    compression: fc.constantFrom('none' as const, 'gzip' as const, 'zstd' as const),
    entries: fc.maxSafeNat(),
    files: fc.array(fc.tuple(text, bytes), { maxLength: 6 }).map((pairs) => new Map(pairs)),
    links: fc
      .array(
        fc.tuple(text, fc.record({ target: text, hard: fc.boolean() }, { noNullPrototype: true })),
        { maxLength: 6 },
      )
      .map((pairs) => new Map(pairs)),
    whiteouts: fc.array(text, { maxLength: 6 }),
    opaqueDirs: fc.array(text, { maxLength: 6 }),
    unreadable: fc.array(text, { maxLength: 6 }),
    otherFiles: hashesArb,
    dirs: hashesArb,
    warnings: fc.array(warningArb, { maxLength: 6 }),
  },
  { noNullPrototype: true },
);

function entryFile(key: string, content: LayerContent): Buffer {
  return Buffer.concat(encodeEntry('layer', encodeLayerPayload(key, content)));
}

/** Runs `decode` and returns the reason it refused the input, or 'accepted'. */
function outcome(decode: () => unknown): CacheFormatReason | 'accepted' {
  try {
    decode();
    return 'accepted';
  } catch (err: unknown) {
    if (err instanceof CacheFormatError) return err.reason;
    throw err;
  }
}

/** A payload with just enough valid fields before `rest`, inside an envelope with a good hash. */
function wrapped(...fields: Buffer[]): Buffer {
  return Buffer.concat(encodeEntry('layer', fields));
}

function u32(value: number): Buffer {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(value);
  return out;
}

function str(value: string): Buffer {
  return Buffer.concat([u32(Buffer.byteLength(value)), Buffer.from(value)]);
}

/** key, digest, diffId, compression and entry count, as a valid payload starts. */
function payloadHead(entries = 3): Buffer {
  const count = Buffer.alloc(8);
  count.writeDoubleBE(entries);
  return Buffer.concat([str('k'), str('sha256:a'), str('sha256:b'), Buffer.from([1]), count]);
}

describe('layer cache entry format', () => {
  test('any layer content round-trips: files, links, whiteouts, path hashes, warnings', () => {
    fc.assert(
      fc.property(text, contentArb, (key, content) => {
        const decoded = decodeLayerPayload(decodeEntry('layer', entryFile(key, content)));
        assert.deepStrictEqual(decoded, { key, content });
      }),
      { numRuns: 200 },
    );
  });

  test('content spanning many write blocks round-trips', () => {
    const files = new Map<string, Buffer>();
    for (let i = 0; i < 3000; i += 1) files.set(`usr/lib/${i}/METADATA`, Buffer.alloc(i % 50, i));
    files.set('big', Buffer.alloc(300_000, 7));
    const whiteouts = Array.from({ length: 5000 }, (_, i) => `tmp/${i}`);
    const content: LayerContent = {
      digest: 'sha256:1',
      diffId: 'sha256:2',
      compression: 'zstd',
      entries: 9000,
      files,
      links: new Map([['etc/os-release', { target: '../usr/lib/os-release', hard: false }]]),
      whiteouts,
      opaqueDirs: ['opt'],
      unreadable: ['var/lib/dpkg/status'],
      otherFiles: PathHashes.of(Array.from({ length: 20_000 }, (_, i) => `usr/share/${i}`)),
      dirs: PathHashes.of(['usr', 'usr/share']),
      warnings: [{ code: 'SCAN_PARSE', message: 'bad', path: 'x' }],
    };
    const decoded = decodeLayerPayload(decodeEntry('layer', entryFile('k', content)));
    assert.deepStrictEqual(decoded.content, content);
  });

  test('index records round-trip and are not taken for layer entries', () => {
    const record = { digest: 'sha256:a', diffId: 'sha256:b', compression: 'gzip' as const };
    const file = Buffer.concat(encodeEntry('index', encodeIndexPayload(record)));
    assert.deepEqual(decodeIndexPayload(decodeEntry('index', file)), record);
    assert.equal(
      outcome(() => decodeEntry('layer', file)),
      'foreign',
    );
  });

  test('flipping any byte of an entry makes it refused', () => {
    fc.assert(
      fc.property(contentArb, fc.nat(), fc.integer({ min: 1, max: 255 }), (content, at, xor) => {
        const file = entryFile('k', content);
        const index = at % file.length;
        file[index] = (file[index] ?? 0) ^ xor;
        assert.notEqual(
          outcome(() => decodeEntry('layer', file)),
          'accepted',
        );
      }),
      { numRuns: 300 },
    );
  });

  test('an entry cut short anywhere is refused', () => {
    fc.assert(
      fc.property(contentArb, fc.nat(), (content, cut) => {
        const file = entryFile('k', content);
        const short = file.subarray(0, cut % file.length);
        assert.notEqual(
          outcome(() => decodeEntry('layer', short)),
          'accepted',
        );
      }),
    );
  });

  test('random bytes are refused as an entry and never crash the decoder', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (data) => {
        const file = Buffer.from(data);
        assert.notEqual(
          outcome(() => decodeEntry('layer', file)),
          'accepted',
        );
        outcome(() => decodeLayerPayload(file));
        outcome(() => decodeIndexPayload(file));
      }),
      { numRuns: 500 },
    );
  });

  test('a payload altered and re-hashed either parses or is refused, never crashes', () => {
    const edits = fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), {
      minLength: 1,
      maxLength: 4,
    });
    fc.assert(
      fc.property(contentArb, edits, (content, changes) => {
        const payload = Buffer.concat(encodeLayerPayload('k', content));
        for (const [at, value] of changes) payload[at % payload.length] = value;
        outcome(() => decodeLayerPayload(decodeEntry('layer', wrapped(payload))));
      }),
      { numRuns: 300 },
    );
  });

  test('declared lengths past the data are refused before anything is allocated', () => {
    const hugeHeader = Buffer.concat(encodeEntry('layer', [Buffer.from('x')]));
    hugeHeader.writeBigUInt64BE(2n ** 64n - 1n, 16);
    const cases: [string, Buffer, CacheFormatReason][] = [
      ['a payload length of 2^64-1', hugeHeader, 'truncated'],
      ['a 4 GiB key', wrapped(u32(0xffffffff)), 'truncated'],
      ['4 billion files', wrapped(payloadHead(), u32(0xffffffff)), 'malformed'],
      ['a 4 GiB file body', wrapped(payloadHead(), u32(1), str('p'), u32(0xfffffff0)), 'truncated'],
      [
        '4 billion warnings',
        wrapped(payloadHead(), ...Array.from({ length: 7 }, () => u32(0)), u32(0xffffffff)),
        'malformed',
      ],
    ];
    for (const [name, file, reason] of cases) {
      const decode = (): unknown => decodeLayerPayload(decodeEntry('layer', file));
      assert.equal(outcome(decode), reason, name);
    }
  });

  test('fields outside their ranges are refused', () => {
    const empty = Array.from({ length: 8 }, () => u32(0));
    const lists = Array.from({ length: 5 }, () => u32(0));
    const sorted = PathHashes.of(['a', 'b']).toBuffer();
    const unsorted = Buffer.concat([sorted.subarray(8), sorted.subarray(0, 8)]);
    const cases: [string, Buffer][] = [
      ['a negative entry count', wrapped(payloadHead(-1), ...empty)],
      ['a fractional entry count', wrapped(payloadHead(1.5), ...empty)],
      ['a NaN entry count', wrapped(payloadHead(Number.NaN), ...empty)],
      ['trailing bytes', wrapped(payloadHead(), ...empty, Buffer.from([0]))],
      [
        'a repeated file path',
        wrapped(payloadHead(), u32(2), str('p'), str(''), str('p'), str('')),
      ],
      [
        'an unknown link kind',
        wrapped(payloadHead(), u32(0), u32(1), str('p'), str('t'), Buffer.from([2])),
      ],
      [
        'path hashes out of order',
        wrapped(payloadHead(), ...lists, u32(16), unsorted, u32(0), u32(0)),
      ],
      [
        'a repeated path hash',
        wrapped(
          payloadHead(),
          ...lists,
          u32(0),
          u32(16),
          sorted.subarray(0, 8),
          sorted.subarray(0, 8),
          u32(0),
        ),
      ],
      [
        'a partial path hash',
        wrapped(payloadHead(), ...lists, u32(3), Buffer.from([1, 2, 3]), u32(0), u32(0)),
      ],
    ];
    for (const [name, file] of cases) {
      const decode = (): unknown => decodeLayerPayload(decodeEntry('layer', file));
      assert.equal(outcome(decode), 'malformed', name);
    }
  });

  test('an entry of another format version or another program is refused', () => {
    const file = entryFile('k', {
      digest: 'd',
      diffId: 'i',
      compression: 'none',
      entries: 0,
      files: new Map(),
      links: new Map(),
      whiteouts: [],
      opaqueDirs: [],
      unreadable: [],
      otherFiles: PathHashes.EMPTY,
      dirs: PathHashes.EMPTY,
      warnings: [],
    });
    assert.equal(
      outcome(() => decodeEntry('layer', file)),
      'accepted',
    );

    const newer = Buffer.from(file);
    newer.writeUInt32BE(CACHE_FORMAT + 1, 8);
    assert.equal(
      outcome(() => decodeEntry('layer', newer)),
      'version',
    );
    const other = Buffer.from(file);
    other.write('PK', 0, 'latin1');
    assert.equal(
      outcome(() => decodeEntry('layer', other)),
      'foreign',
    );
    assert.equal(
      outcome(() => decodeEntry('layer', file.subarray(0, HEADER_BYTES - 1))),
      'truncated',
    );
  });
});
