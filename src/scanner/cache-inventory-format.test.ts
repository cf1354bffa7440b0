import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  CacheFormatError,
  decodeEntry,
  encodeEntry,
  type CacheFormatReason,
} from './cache-format.js';
import { decodeInventoryPayload, encodeInventoryPayload } from './cache-inventory-format.js';
import { canonicalPackage, canonicalWarning } from './inventory.js';
import type { Ecosystem, Inventory, Package } from './types.js';

const text = fc.string({ unit: 'binary', maxLength: 20 });
const ecosystems: readonly Ecosystem[] = ['deb', 'apk', 'rpm', 'npm', 'pypi'];

const packageArb: fc.Arbitrary<Package> = fc
  .record(
    {
      name: text,
      version: text,
      sourceName: text,
      sourceVersion: text,
      arch: text,
      ecosystem: fc.constantFrom(...ecosystems),
      purl: text,
      layerDigest: text,
      path: text,
    },
    { requiredKeys: ['name', 'version', 'ecosystem', 'purl', 'layerDigest', 'path'] },
  )
  .map(canonicalPackage);

const inventoryArb: fc.Arbitrary<Inventory> = fc.record(
  {
    image: text,
    os: fc.record({ family: text, name: text, version: text }, { noNullPrototype: true }),
    packages: fc.array(packageArb, { maxLength: 8 }),
    layers: fc.array(
      fc.record(
        { digest: text, diffId: text, files: fc.maxSafeNat() },
        { requiredKeys: ['digest', 'files'], noNullPrototype: true },
      ),
      { maxLength: 4 },
    ),
    warnings: fc.array(
      fc
        .record(
          { code: text, message: text, layer: text, path: text },
          { requiredKeys: ['code', 'message'] },
        )
        .map(canonicalWarning),
      { maxLength: 4 },
    ),
  },
  { requiredKeys: ['image', 'packages', 'layers', 'warnings'], noNullPrototype: true },
);

function entryFile(key: string, inventory: Inventory): Buffer {
  return Buffer.concat(encodeEntry('inventory', encodeInventoryPayload(key, inventory)));
}

function outcome(decode: () => unknown): CacheFormatReason | 'accepted' {
  try {
    decode();
    return 'accepted';
  } catch (err: unknown) {
    if (err instanceof CacheFormatError) return err.reason;
    throw err;
  }
}

function u32(value: number): Buffer {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(value);
  return out;
}

function str(value: string): Buffer {
  return Buffer.concat([u32(Buffer.byteLength(value)), Buffer.from(value)]);
}

/**
 * A valid payload head (key, image, no OS, shared strings 'L' and 'P', then `text`, the
 * package fields' characters) followed by `rest`.
 */
function payload(text: string, ...rest: Buffer[]): Buffer {
  const shared = [u32(2), str('L'), str('P')];
  return Buffer.concat([str('k'), str('img'), Buffer.from([0]), ...shared, str(text), ...rest]);
}

/** The text of one package made by `pkg` below: its name, version and purl. */
const PKG_TEXT = 'nameversionpurl';

describe('inventory cache entry format', () => {
  test('any inventory round-trips, fields in the order a fresh one has them', () => {
    fc.assert(
      fc.property(text, inventoryArb, (key, inventory) => {
        const decoded = decodeInventoryPayload(decodeEntry('inventory', entryFile(key, inventory)));
        assert.deepStrictEqual(decoded, { key, inventory });
        assert.equal(JSON.stringify(decoded.inventory), JSON.stringify(inventory));
      }),
      { numRuns: 200 },
    );
  });

  test('the OS is stored without its end-of-life verdict', () => {
    const os = { family: 'debian', name: 'Debian 10', version: '10' };
    const eol = { date: '2024-06-30', pastEol: true };
    const inventory: Inventory = {
      image: 'a',
      os: { ...os, eol },
      packages: [],
      layers: [],
      warnings: [],
    };
    const decoded = decodeInventoryPayload(decodeEntry('inventory', entryFile('k', inventory)));
    assert.deepStrictEqual(decoded.inventory.os, os);
  });

  test('random bytes and altered, re-hashed payloads are refused or parsed, never crash', () => {
    const edits = fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), {
      minLength: 1,
      maxLength: 4,
    });
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), inventoryArb, edits, (data, inv, changes) => {
        outcome(() => decodeInventoryPayload(Buffer.from(data)));
        const altered = Buffer.concat(encodeInventoryPayload('k', inv));
        for (const [at, value] of changes) altered[at % altered.length] = value;
        const file = Buffer.concat(encodeEntry('inventory', [altered]));
        outcome(() => decodeInventoryPayload(decodeEntry('inventory', file)));
      }),
      { numRuns: 300 },
    );
  });

  test('counts past the data and codes outside their ranges are refused', () => {
    const oneLayer = (flags: number, files: number): Buffer => {
      const count = Buffer.alloc(8);
      count.writeDoubleBE(files);
      return Buffer.concat([u32(0), u32(1), Buffer.from([flags]), str('d'), count, u32(0)]);
    };
    const pkg = (flags: number, ecosystem: number, path = 1): Buffer =>
      Buffer.concat([
        u32(1),
        Buffer.from([flags, ecosystem]),
        ...[4, 7, 4].map(u32),
        u32(0),
        u32(path),
      ]);
    const none = u32(0);
    const cases: [string, Buffer, CacheFormatReason][] = [
      ['4 billion packages', payload('', u32(0xffffffff)), 'malformed'],
      ['an OS flag of 2', Buffer.concat([str('k'), str('i'), Buffer.from([2])]), 'malformed'],
      ['unknown package flags', payload(PKG_TEXT, pkg(8, 0), none, none), 'malformed'],
      ['an unknown ecosystem', payload(PKG_TEXT, pkg(0, 5), none, none), 'malformed'],
      ['an unknown shared string', payload(PKG_TEXT, pkg(0, 0, 2), none, none), 'malformed'],
      ['a field past the text', payload('name', pkg(0, 0), none, none), 'malformed'],
      ['text left over', payload(`${PKG_TEXT}x`, pkg(0, 0), none, none), 'malformed'],
      ['unknown layer flags', payload('', oneLayer(2, 1)), 'malformed'],
      ['a negative file count', payload('', oneLayer(0, -1)), 'malformed'],
      ['a fractional file count', payload('', oneLayer(0, 0.5)), 'malformed'],
      ['trailing bytes', payload('', none, none, none, Buffer.from([0])), 'malformed'],
      ['a 4 GiB image name', Buffer.concat([str('k'), u32(0xfffffff0)]), 'truncated'],
    ];
    for (const [name, data, reason] of cases) {
      assert.equal(
        outcome(() => decodeInventoryPayload(data)),
        reason,
        name,
      );
    }
    const valid = decodeInventoryPayload(payload(PKG_TEXT, pkg(0, 3), none, none));
    assert.deepEqual(valid.inventory.packages, [
      {
        name: 'name',
        version: 'version',
        ecosystem: 'npm',
        purl: 'purl',
        layerDigest: 'L',
        path: 'P',
      },
    ]);
  });

  test('a layer entry is not taken for an inventory', () => {
    const file = Buffer.concat(encodeEntry('layer', [Buffer.from('x')]));
    assert.equal(
      outcome(() => decodeEntry('inventory', file)),
      'foreign',
    );
  });
});
