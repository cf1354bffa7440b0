import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { buildInventory } from '../../inventory.js';
import { imageOf, type TarEntry } from '../../testing/layers.js';
import { encodeRpmHeader, encodeSqliteDb, encodeSqliteWithWal } from '../../testing/rpm.js';
import { parseRpmDatabase } from './database.js';
import { checkWal } from './sqlite-wal.js';
import { readSqliteBlobs } from './sqlite.js';

const header = (name: string): Buffer =>
  encodeRpmHeader({ name, version: '1.0', release: '1.el9', arch: 'x86_64' });
const BASE = ['bash', 'glibc'].map(header);
const PENDING = ['curl', 'vim'].map(header);
const { db: DB, wal: WAL } = encodeSqliteWithWal(BASE, PENDING);

const names = (db: Buffer, wal?: Buffer): string[] =>
  parseRpmDatabase(db, 100, wal)
    .records.map((r) => r.name)
    .sort();

const root = mkdtempSync(join(tmpdir(), 'eraser-wal-test-'));
after(() => {
  rmSync(root, { recursive: true, force: true });
});

describe('rpm SQLite with a write-ahead log', () => {
  test('packages committed only to the -wal are read along with the database file', () => {
    assert.ok(WAL.length > 32, 'the fixture log holds frames');
    assert.deepEqual(names(DB, WAL), ['bash', 'curl', 'glibc', 'vim']);
    assert.deepEqual(names(DB), ['bash', 'glibc']);
    const check = checkWal(WAL, 4096);
    assert.deepEqual([check.problem, check.committedFrames >= PENDING.length], [undefined, true]);
  });

  test('the private copy goes away with its -wal and -shm, after a replay and a failed one', () => {
    const read = readSqliteBlobs(DB, 100, WAL, { tempRoot: root });
    assert.equal(read.blobs.length, 4);
    assert.deepEqual(readdirSync(root), []);

    // Two more packages than the limit allows only with the log: the replay fails, the
    // database alone is read, and the failure is named.
    const limited = readSqliteBlobs(DB, 3, WAL, { tempRoot: root });
    assert.equal(limited.blobs.length, 2);
    assert.match(limited.walProblem ?? '', /replaying it failed .*more than 3 packages/);
    assert.deepEqual(readdirSync(root), []);
  });

  test('a garbage, short, cut or altered -wal is named, and what is intact still read', () => {
    const flipped = (at: number): Buffer => {
      const copy = Buffer.from(WAL);
      copy[at] = (copy[at] ?? 0) ^ 0xff;
      return copy;
    };
    const cases: [string, Buffer, RegExp, string[]][] = [
      ['garbage', Buffer.alloc(5000, 7), /no WAL magic/, ['bash', 'glibc']],
      ['short', WAL.subarray(0, 20), /shorter than the WAL header/, ['bash', 'glibc']],
      ['another version', flipped(7), /WAL format/, ['bash', 'glibc']],
      ['altered header', flipped(12), /header fails its checksum/, ['bash', 'glibc']],
      ['truncated', WAL.subarray(0, WAL.length - 100), /truncated/, ['bash', 'curl', 'glibc']],
      ['altered last page', flipped(WAL.length - 50), /checksum/, ['bash', 'curl', 'glibc']],
    ];
    for (const [name, wal, problem, expected] of cases) {
      const read = parseRpmDatabase(DB, 100, wal);
      assert.match(read.walProblem ?? '', problem, name);
      assert.deepEqual(read.records.map((r) => r.name).sort(), expected, name);
    }
  });

  test('a well-formed -wal over corrupt pages fails its replay; the database alone is read', () => {
    const read = parseRpmDatabase(DB, 100, resealed(WAL));
    assert.match(read.walProblem ?? '', /replaying it failed .*malformed/);
    assert.deepEqual(read.records.map((r) => r.name).sort(), ['bash', 'glibc']);
  });

  test('a -wal of another page size than the database is not replayed, and is named', () => {
    const smallPages = encodeSqliteWithWal(BASE, [], 1024).db;
    const read = parseRpmDatabase(smallPages, 100, WAL);
    assert.match(read.walProblem ?? '', /WAL page size 4096 differs from the database's 1024/);
    assert.deepEqual(read.records.map((r) => r.name).sort(), ['bash', 'glibc']);
  });

  test('an empty -wal, or one beside a rollback-mode database, is ignored as SQLite does', () => {
    assert.deepEqual(parseRpmDatabase(DB, 100, Buffer.alloc(0)).walProblem, undefined);
    const rollback = parseRpmDatabase(encodeSqliteDb(BASE), 100, WAL);
    assert.deepEqual([rollback.records.length, rollback.walProblem], [2, undefined]);
  });

  test('frames left from before a checkpoint restarted the log are routine, not damage', () => {
    const { db, wal } = restartedLog();
    const check = checkWal(wal, 4096);
    assert.equal(check.problem, undefined);
    assert.ok(check.committedFrames > 0 && (wal.length - 32) / (24 + 4096) > check.committedFrames);
    assert.deepEqual(names(db, wal), ['a', 'b', 'c', 'd']);
  });

  test('a -wal cut or overwritten anywhere never throws and never loses database packages', () => {
    const edits = fc.array(
      fc.tuple(fc.nat(WAL.length - 1), fc.uint8Array({ minLength: 1, maxLength: 16 })),
      { maxLength: 4 },
    );
    fc.assert(
      fc.property(edits, fc.nat(WAL.length), (writes, cut) => {
        const wal = Buffer.from(WAL.subarray(0, cut));
        for (const [at, bytes] of writes.filter(([at]) => at < wal.length)) {
          wal.set(bytes.subarray(0, wal.length - at), at);
        }
        const found = names(DB, wal);
        assert.ok(
          ['bash', 'glibc'].every((n) => found.includes(n)),
          found.join(),
        );
        assert.ok(
          found.every((n) => ['bash', 'curl', 'glibc', 'vim'].includes(n)),
          found.join(),
        );
      }),
      { numRuns: 60 },
    );
  });
});

/**
 * A log whose first transactions were checkpointed, after which a new write restarted it: the
 * new frames (new salts) are followed by older frames of the previous generation.
 */
function restartedLog(): { db: Buffer; wal: Buffer } {
  const dir = mkdtempSync(join(root, 'restart-'));
  const path = join(dir, 'rpmdb.sqlite');
  const db = new Database(path);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('wal_autocheckpoint = 0');
    db.exec('CREATE TABLE Packages (hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB NOT NULL)');
    const insert = db.prepare('INSERT INTO Packages (blob) VALUES (?)');
    for (const name of ['a', 'b', 'c']) insert.run(header(name));
    db.pragma('wal_checkpoint(PASSIVE)');
    insert.run(header('d'));
    return { db: readFileSync(path), wal: readFileSync(`${path}-wal`) };
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The log with every page but the first filled with garbage and its checksums made valid
 * again (little-endian sums, as the fixture's magic says), so that only SQLite's own page
 * checks can catch it.
 */
function resealed(wal: Buffer): Buffer {
  const out = Buffer.from(wal);
  const pageSize = out.readUInt32BE(8);
  assert.equal(out.readUInt32BE(0), 0x377f0682);
  let sums: [number, number] = [out.readUInt32BE(24), out.readUInt32BE(28)];
  for (let at = 32; at + 24 + pageSize <= out.length; at += 24 + pageSize) {
    if (out.readUInt32BE(at) !== 1) out.fill(0xee, at + 32, at + 24 + pageSize);
    for (const part of [out.subarray(at, at + 8), out.subarray(at + 24, at + 24 + pageSize)]) {
      for (let i = 0; i < part.length; i += 8) {
        const s0 = (sums[0] + part.readUInt32LE(i) + sums[1]) >>> 0;
        sums = [s0, (sums[1] + part.readUInt32LE(i + 4) + s0) >>> 0];
      }
    }
    out.writeUInt32BE(sums[0], at + 16);
    out.writeUInt32BE(sums[1], at + 20);
  }
  return out;
}

describe('rpm SQLite write-ahead log in an image', () => {
  const RHEL = { path: 'etc/os-release', content: 'ID="rhel"\nVERSION_ID="9.3"\nNAME="RHEL"\n' };
  const DIR = 'usr/lib/sysimage/rpm';
  const walEntry = (content: Buffer): TarEntry => ({ path: `${DIR}/rpmdb.sqlite-wal`, content });

  test('packages a layer wrote only to the -wal are attributed to that layer', async () => {
    const image = await imageOf('example.test/wal:1', [
      [RHEL, { path: `${DIR}/rpmdb.sqlite`, content: DB }],
      [walEntry(WAL)],
    ]);
    const inventory = await buildInventory(image, { clock: () => new Date(0) });
    const layers = image.layers.map((l) => l.digest);
    assert.deepEqual(
      inventory.packages.map((p) => `${p.name} L${layers.indexOf(p.layerDigest)}`).sort(),
      ['bash L0', 'curl L1', 'glibc L0', 'vim L1'],
    );
    assert.deepEqual(inventory.warnings, []);
  });

  test('a hostile -wal warns naming image, layer and path; the database still counts', async () => {
    const image = await imageOf('example.test/hostile-wal:1', [
      [RHEL, { path: `${DIR}/rpmdb.sqlite`, content: DB }],
      [walEntry(Buffer.alloc(9000, 0x5a))],
    ]);
    const inventory = await buildInventory(image, { clock: () => new Date(0) });
    const upper = image.layers[1]?.digest ?? '';
    assert.deepEqual(inventory.packages.map((p) => p.name).sort(), ['bash', 'glibc']);
    assert.deepEqual(
      inventory.warnings.map((w) => [w.code, w.layer, w.path]),
      [['SCAN_PARSE', upper, `${DIR}/rpmdb.sqlite-wal`]],
    );
    assert.match(
      inventory.warnings[0]?.message ?? '',
      /example\.test\/hostile-wal:1.*no WAL magic/,
    );
    assert.match(inventory.warnings[0]?.message ?? '', new RegExp(upper));
  });

  test('a -wal over the file size limit is not kept: a warning; the database is read', async () => {
    const many = Array.from({ length: 12 }, (_, i) => header(`extra${i}`));
    const big = encodeSqliteWithWal(BASE, many);
    assert.ok(big.wal.length > 32 * 1024 && big.db.length < 32 * 1024);
    const image = await imageOf('example.test/big-wal:1', [
      [RHEL, { path: `${DIR}/rpmdb.sqlite`, content: big.db }, walEntry(big.wal)],
    ]);
    const limits = { maxFileBytes: 32 * 1024 };
    const inventory = await buildInventory(image, { clock: () => new Date(0), limits });
    assert.deepEqual(inventory.packages.map((p) => p.name).sort(), ['bash', 'glibc']);
    assert.deepEqual(
      inventory.warnings.map((w) => [w.code, w.path]),
      [['SCAN_FILE_TOO_LARGE', `${DIR}/rpmdb.sqlite-wal`]],
    );
  });
});
