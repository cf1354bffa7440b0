import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { ParseError } from '../../errors.js';
import {
  encodeBdb,
  encodeNdb,
  encodeRpmHeader,
  encodeSqliteDb,
  type HeaderFields,
} from '../../testing/rpm.js';
import { parseSourceRpm, rpmPurl, rpmVersion } from './analyzer.js';
import { readBdbBlobs } from './bdb.js';
import { parseRpmDatabase } from './database.js';
import { parseRpmHeader } from './header.js';

const PACKAGES: HeaderFields[] = [
  {
    name: 'bash',
    version: '5.1.8',
    release: '6.el9',
    arch: 'x86_64',
    sourceRpm: 'bash-5.1.8-6.el9.src.rpm',
  },
  {
    name: 'openssl-libs',
    version: '3.0.7',
    release: '27.el9',
    epoch: 1,
    arch: 'x86_64',
    sourceRpm: 'openssl-3.0.7-27.el9.src.rpm',
  },
  { name: 'tzdata', version: '2024a', release: '1.el9', arch: 'noarch' },
];
const BLOBS = PACKAGES.map(encodeRpmHeader);

describe('parseRpmHeader', () => {
  test('reads name, version, release, epoch, arch and source RPM', () => {
    assert.deepEqual(parseRpmHeader(BLOBS[1] ?? Buffer.alloc(0)), {
      name: 'openssl-libs',
      version: '3.0.7',
      release: '27.el9',
      epoch: 1,
      arch: 'x86_64',
      sourceRpm: 'openssl-3.0.7-27.el9.src.rpm',
    });
  });

  test('throws ParseError, and nothing else, on mutated and random blobs', () => {
    const blob = BLOBS[0] ?? Buffer.alloc(0);
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
          fc.tuple(fc.nat(blob.length - 1), fc.nat(255)).map(([at, byte]) => {
            const copy = Buffer.from(blob);
            copy[at] = byte;
            return copy;
          }),
          fc.nat(blob.length).map((n) => blob.subarray(0, n)),
        ),
        (bytes) => {
          try {
            parseRpmHeader(bytes);
          } catch (err: unknown) {
            assert.ok(err instanceof ParseError, String(err));
          }
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe('parseRpmDatabase', () => {
  const expected = ['bash', 'openssl-libs', 'tzdata'];
  const names = (data: Buffer): string[] =>
    parseRpmDatabase(data, 100)
      .records.map((r) => r.name)
      .sort();

  test('reads the same packages from SQLite, NDB and BerkeleyDB backends', () => {
    assert.deepEqual(names(encodeSqliteDb(BLOBS)), expected);
    assert.deepEqual(names(encodeNdb(BLOBS)), expected);
    assert.deepEqual(names(encodeBdb(BLOBS)), expected);
    assert.deepEqual(names(encodeBdb(BLOBS, 512)), expected);
  });

  test('names the format problem for files that are no rpm database', () => {
    assert.throws(() => parseRpmDatabase(Buffer.from('hello'), 100), /not an rpm database/);
    const sqlite = encodeSqliteDb([]);
    assert.deepEqual(parseRpmDatabase(sqlite, 100).records, []);
  });

  test('refuses databases with more packages than the limit', () => {
    for (const db of [encodeSqliteDb(BLOBS), encodeNdb(BLOBS), encodeBdb(BLOBS)]) {
      assert.throws(() => parseRpmDatabase(db, 2), /more than 2 packages/);
    }
  });

  test('skips an NDB blob whose checksum fails and counts it as damaged', () => {
    const db = encodeNdb(BLOBS);
    db[4096 + 40] = (db[4096 + 40] ?? 0) ^ 0xff;
    const read = parseRpmDatabase(db, 100);
    assert.equal(read.damaged, 1);
    assert.deepEqual(read.records.map((r) => r.name).sort(), ['openssl-libs', 'tzdata']);
  });

  test('survives a BerkeleyDB overflow chain that loops back on itself', () => {
    const db = encodeBdb(BLOBS);
    // Page 2 is the first overflow page of the first blob: make it an empty page pointing at
    // itself, so only the walk's bound ends the loop.
    db.writeUInt32LE(2, 2 * 4096 + 16);
    db.writeUInt16LE(0, 2 * 4096 + 22);
    const read = parseRpmDatabase(db, 100);
    assert.equal(read.damaged, 1);
    assert.deepEqual(read.records.map((r) => r.name).sort(), ['openssl-libs', 'tzdata']);
  });

  for (const [format, encode] of [
    ['sqlite', encodeSqliteDb],
    ['ndb', encodeNdb],
    ['bdb', (b: readonly Buffer[]) => encodeBdb(b, 512)],
  ] as const) {
    test(`garbage written over a ${format} database gives a ParseError or fewer packages`, () => {
      const db = encode(BLOBS);
      fc.assert(
        fc.property(
          fc.array(
            fc.tuple(fc.nat(db.length - 1), fc.uint8Array({ minLength: 1, maxLength: 64 })),
            {
              minLength: 1,
              maxLength: 8,
            },
          ),
          (writes) => {
            const copy = Buffer.from(db);
            for (const [at, bytes] of writes) copy.set(bytes.subarray(0, copy.length - at), at);
            try {
              assert.ok(parseRpmDatabase(copy, 100).records.length <= PACKAGES.length + 1);
            } catch (err: unknown) {
              assert.ok(err instanceof ParseError, String(err));
            }
          },
        ),
        { numRuns: format === 'sqlite' ? 150 : 1000 },
      );
    });
  }
});

describe('readBdbBlobs on files written by libdb', () => {
  test('reads on-page and overflow values at several page sizes (db5.3_load)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'eraser-bdb-'));
    try {
      for (const pageSize of [512, 4096]) {
        const blobs = Array.from({ length: 40 }, (_, i) =>
          encodeRpmHeader({
            name: `pkg${i}`,
            version: '1',
            release: '1',
            arch: 'x'.repeat(i * 40),
          }),
        );
        const file = join(dir, `Packages-${pageSize}`);
        execFileSync('db5.3_load', [file], { input: dumpFormat(blobs, pageSize) });
        const read = readBdbBlobs(readFileSync(file), 100);
        const names = read.blobs.map((b) => parseRpmHeader(b).name).sort();
        const expected = blobs.map((_, i) => `pkg${i}`).sort();
        assert.deepEqual({ names, damaged: read.damaged }, { names: expected, damaged: 0 });
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** db_dump's "bytevalue" format: hex keys and values, one per line after a space. */
function dumpFormat(blobs: readonly Buffer[], pageSize: number): string {
  const lines = [
    'VERSION=3',
    'format=bytevalue',
    'type=hash',
    `db_pagesize=${pageSize}`,
    'HEADER=END',
  ];
  // rpm keeps a 4-byte counter under key 0; the parser must not take it for a package.
  lines.push(' 00000000', ' 01000000');
  blobs.forEach((blob, i) => {
    const key = Buffer.alloc(4);
    key.writeUInt32LE(i + 1);
    lines.push(` ${key.toString('hex')}`, ` ${blob.toString('hex')}`);
  });
  return [...lines, 'DATA=END', ''].join('\n');
}

describe('rpm package fields', () => {
  test('splits source RPM names into name and version-release', () => {
    assert.deepEqual(parseSourceRpm('openssl-3.0.7-27.el9.src.rpm'), {
      name: 'openssl',
      version: '3.0.7-27.el9',
    });
    assert.deepEqual(parseSourceRpm('python3.11-3.11.5-1.el9.nosrc.rpm'), {
      name: 'python3.11',
      version: '3.11.5-1.el9',
    });
    assert.equal(parseSourceRpm('garbage'), undefined);
  });

  test('writes the epoch into the version and as a purl qualifier', () => {
    const record = {
      name: 'openssl-libs',
      version: '3.0.7',
      release: '27.el9',
      epoch: 1,
      arch: 'x86_64',
    };
    assert.equal(rpmVersion(record), '1:3.0.7-27.el9');
    assert.equal(
      rpmPurl(record, { family: 'rhel', name: 'RHEL', version: '9.3' }),
      'pkg:rpm/redhat/openssl-libs@3.0.7-27.el9?arch=x86_64&distro=rhel-9.3&epoch=1',
    );
  });
});
