import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Readable } from 'node:stream';
import fc from 'fast-check';
import { RuntimeTimeoutError } from '../../runtime/errors.js';
import { ImageSourceError } from '../sources/errors.js';
import { ScanError } from '../errors.js';
import { resolveLimits, type ScanLimits } from '../limits.js';
import { gzip, layerSource, sha256, tarLayer, zstd, type TarEntry } from '../testing/layers.js';
import type { LayerSource } from '../types.js';
import { pathKey } from './path-hashes.js';
import { readLayer } from './read-layer.js';

const wants = (path: string): boolean => path.startsWith('etc/') || path.endsWith('.keep');

function read(layer: LayerSource, limits: Partial<ScanLimits> = {}, expectedDiffId?: string) {
  return readLayer(layer, {
    image: 'example.test/app:1',
    wants,
    limits: resolveLimits(limits),
    ...(expectedDiffId === undefined ? {} : { expectedDiffId }),
  });
}

async function rejectsWith(
  promise: Promise<unknown>,
  code: string,
  pattern: RegExp,
): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof ScanError, `expected a ScanError, got ${String(err)}`);
    assert.equal(err.code, code);
    assert.match(err.message, pattern);
    assert.match(err.message, /example\.test\/app:1/);
    return true;
  });
}

const entries: TarEntry[] = [
  { path: 'etc/', type: 'directory' },
  { path: './etc/os-release', content: 'ID=debian\n' },
  { path: 'usr/bin/big', content: 'x'.repeat(100_000) },
  { path: 'etc/alias', type: 'symlink', linkname: '../usr/lib/os-release' },
  { path: 'etc/hard', type: 'link', linkname: 'etc/os-release' },
  { path: 'var/lib/.wh.dpkg', content: '' },
  { path: 'opt/.wh..wh..opq', content: '' },
];

describe('readLayer', () => {
  test('keeps wanted files, links and whiteouts the same from tar, gzip and zstd', async () => {
    const tar = await tarLayer(entries);
    for (const blob of [tar, gzip(tar), zstd(tar)]) {
      const content = await read(layerSource(blob), {}, sha256(tar));
      assert.equal(content.diffId, sha256(tar));
      assert.deepEqual([...content.files.keys()].sort(), ['etc/hard', 'etc/os-release']);
      assert.equal(content.files.get('etc/hard')?.toString(), 'ID=debian\n');
      assert.deepEqual(content.links.get('etc/alias'), {
        target: '../usr/lib/os-release',
        hard: false,
      });
      assert.deepEqual(content.whiteouts, ['var/lib/dpkg']);
      assert.deepEqual(content.opaqueDirs, ['opt']);
      assert.equal(content.entries, 7);
    }
  });

  test('records unkept non-folders and folders as path hashes, kept entries as such', async () => {
    const content = await read(
      layerSource(
        await tarLayer([
          { path: './', type: 'directory' },
          { path: 'var/lib/dpkg/', type: 'directory' },
          { path: 'var/lib/dpkg', content: 'a file now' },
          { path: 'usr/share/doc', type: 'symlink', linkname: '/nowhere' },
          { path: 'dev/null', type: 'character-device' },
          { path: 'run/pipe', type: 'fifo' },
          { path: 'usr/bin/hard', type: 'link', linkname: 'var/lib/dpkg' },
          { path: 'etc/kept.keep', content: 'kept' },
        ]),
      ),
    );
    const others = ['var/lib/dpkg', 'dev/null', 'run/pipe', 'usr/bin/hard'];
    assert.deepEqual(
      others.map((p) => content.otherFiles.has(pathKey(p))),
      [true, true, true, true],
    );
    assert.equal(content.otherFiles.size, others.length);
    assert.deepEqual([content.dirs.has(pathKey('var/lib/dpkg')), content.dirs.size], [true, 1]);
    for (const kept of ['usr/share/doc', 'etc/kept.keep', 'var/lib']) {
      assert.equal(content.otherFiles.has(pathKey(kept)), false, kept);
    }
  });

  test('rejects a blob that does not match its digest', async () => {
    const blob = gzip(await tarLayer(entries));
    const layer = layerSource(blob, { digest: sha256(Buffer.from('other')) });
    await rejectsWith(read(layer), 'SCAN_DIGEST_MISMATCH', /does not match its digest/);
  });

  test('rejects a layer whose uncompressed bytes differ from the config diff ID', async () => {
    const blob = gzip(await tarLayer(entries));
    const wrong = sha256(Buffer.from('not this'));
    await rejectsWith(read(layerSource(blob), {}, wrong), 'SCAN_DIGEST_MISMATCH', /diff ID/);
  });

  test('rejects truncated and corrupt compressed streams, naming the layer', async () => {
    const tar = await tarLayer(entries);
    const g = gzip(tar);
    await rejectsWith(
      read(layerSource(g.subarray(0, g.length - 30))),
      'SCAN_LAYER_CORRUPT',
      /layer/,
    );
    const z = Buffer.from(zstd(tar));
    z.fill(0xff, 20, 60);
    await rejectsWith(read(layerSource(z)), 'SCAN_LAYER_CORRUPT', /layer sha256:/);
  });

  test('rejects a truncated plain tar', async () => {
    const tar = await tarLayer(entries);
    await rejectsWith(read(layerSource(tar.subarray(0, 1500))), 'SCAN_LAYER_CORRUPT', /tar/);
  });

  test('stops a decompression bomb at the layer byte limit', async () => {
    const bomb = gzip(await tarLayer([{ path: 'zeros', content: Buffer.alloc(5_000_000) }]));
    assert.ok(bomb.length < 20_000);
    await rejectsWith(read(layerSource(bomb), { maxLayerBytes: 1_000_000 }), 'SCAN_LIMIT', /limit/);
  });

  test('stops at the entry limit', async () => {
    const many = Array.from({ length: 50 }, (_, i) => ({ path: `f${i}`, content: '' }));
    await rejectsWith(
      read(layerSource(await tarLayer(many)), { maxEntries: 20 }),
      'SCAN_LIMIT',
      /over 20 entries/,
    );
  });

  test('skips path traversal names and oversized wanted files with warnings', async () => {
    const tar = await tarLayer([
      { path: '../../etc/shadow', content: 'root::' },
      { path: 'etc/huge', content: 'y'.repeat(5000) },
      { path: 'etc/small', content: 'ok' },
    ]);
    const content = await read(layerSource(tar), { maxFileBytes: 1000 });
    assert.deepEqual([...content.files.keys()], ['etc/small']);
    assert.deepEqual(
      content.warnings.map((w) => [w.code, w.path]),
      [
        ['SCAN_PATH_TRAVERSAL', undefined],
        ['SCAN_FILE_TOO_LARGE', 'etc/huge'],
      ],
    );
  });

  test('fails cleanly when the source stream itself errors', async () => {
    const layer: LayerSource = {
      digest: sha256(Buffer.from('x')),
      mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
      open: () =>
        new Readable({
          read() {
            this.destroy(new Error('content store went away'));
          },
        }),
    };
    await rejectsWith(read(layer), 'SCAN_LAYER_CORRUPT', /content store went away/);
  });

  test('a typed error from the source passes as it is, gaining the image and layer', async () => {
    const blob = gzip(await tarLayer(entries));
    const timeout = new RuntimeTimeoutError('unix:///run/test.sock', 'content Read', 10_000);
    const layer = failingAfter(blob.subarray(0, 200), timeout, sha256(blob));

    await assert.rejects(read(layer), (err: unknown) => {
      assert.ok(
        err instanceof RuntimeTimeoutError,
        `expected the runtime error, got ${String(err)}`,
      );
      assert.equal(err.code, 'RUNTIME_TIMEOUT');
      assert.equal(err.message, timeout.message);
      assert.equal(err.stack, timeout.stack);
      assert.equal(err.endpoint, 'unix:///run/test.sock');
      // The compression is known only if the decoder saw the first bytes before the failure.
      const { compression, ...context } = err.context;
      assert.ok(compression === 'gzip' || compression === 'none', String(compression));
      assert.deepEqual(context, {
        ...timeout.context,
        image: 'example.test/app:1',
        layer: layer.digest,
        mediaType: layer.mediaType,
      });
      return true;
    });
  });

  test('a typed error that already names the image and layer passes as it is', async () => {
    const context = { image: 'example.test/app:1', layer: 'sha256:abc', path: 'blobs/x' };
    const missing = new ImageSourceError('SOURCE_BLOB_MISSING', 'blob gone', context);
    const layer = failingAfter(Buffer.alloc(0), missing, sha256(Buffer.from('x')));
    await assert.rejects(read(layer), (err: unknown) => err === missing);
  });

  test('random bytes as a layer give a ScanError or an empty result, never a crash', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 0, maxLength: 3000 }), async (bytes) => {
        const blob = Buffer.from(bytes);
        try {
          const content = await read(layerSource(blob, { chunk: 97 }));
          assert.equal(content.files.size, 0);
        } catch (err: unknown) {
          assert.ok(err instanceof ScanError, String(err));
        }
      }),
      { numRuns: 200 },
    );
  });
});

/** A layer whose stream sends `head`, then fails with `error`, as a runtime read cut off would. */
function failingAfter(head: Buffer, error: Error, digest: string): LayerSource {
  return {
    digest,
    mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
    open: () => {
      let sent = false;
      return new Readable({
        read() {
          if (sent) {
            this.destroy(error);
            return;
          }
          sent = true;
          this.push(head);
        },
      });
    },
  };
}
