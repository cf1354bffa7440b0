import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { after, before, beforeEach, describe, test } from 'node:test';

import {
  Server,
  ServerCredentials,
  status,
  type sendUnaryData,
  type ServerUnaryCall,
  type ServerWritableStream,
} from '@grpc/grpc-js';

import {
  checkNamespace,
  connectContainerd,
  ContainerdClient,
  CONTAINERD_CONTENT_PROTO,
  CONTAINERD_IMAGES_PROTO,
  CONTENT_SERVICE,
  IMAGES_SERVICE,
} from './containerd-client.js';
import { parseEndpoint } from './endpoint.js';
import { serviceDefinition } from './proto.js';

interface ReadRequest {
  digest: string;
  offset: number;
  size: number;
}

type ReadCall = ServerWritableStream<ReadRequest, { offset: number; data: Buffer }>;

/** What the fake Content service does with each Read; the default serves BLOB faithfully. */
type ReadBehaviour = (call: ReadCall, request: ReadRequest) => void;

const BLOB = Buffer.from(Array.from({ length: 10_000 }, (_, i) => i % 251));
const WINDOW = 1024;
/** The fake store serves BLOB under any name: under this one it is what the name says. */
const BLOB_DIGEST = `sha256:${createHash('sha256').update(BLOB).digest('hex')}`;
const WRONG_DIGEST = `sha256:${'e'.repeat(64)}`;

let dir: string;
let server: Server;
let endpoint: string;
let behaviour: ReadBehaviour;
const requests: ReadRequest[] = [];
const namespaces: string[] = [];
let cancelled = 0;

/** containerd's way: chunks numbered from the start of the requested range. */
const faithful: ReadBehaviour = (call, { offset, size }) => {
  const end = size === 0 ? BLOB.length : Math.min(BLOB.length, offset + size);
  for (let at = offset; at < end; at += 300) {
    call.write({ offset: at - offset, data: BLOB.subarray(at, Math.min(end, at + 300)) });
  }
  call.end();
};

function onRead(call: ReadCall): void {
  requests.push({ ...call.request });
  namespaces.push(String(call.metadata.get('containerd-namespace')[0]));
  call.on('cancelled', () => (cancelled += 1));
  behaviour(call, call.request);
}

function onGet(
  call: ServerUnaryCall<{ name: string }, unknown>,
  callback: sendUnaryData<unknown>,
): void {
  if (call.request.name === 'broken') {
    callback(null, { image: { name: 'broken', target: null } });
    return;
  }
  callback({ code: status.NOT_FOUND, details: `image "${call.request.name}": not found` });
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ctrd-fake-'));
  endpoint = `unix://${join(dir, 'containerd.sock')}`;
  server = new Server();
  server.addService(serviceDefinition(CONTAINERD_CONTENT_PROTO, CONTENT_SERVICE), {
    Read: onRead,
    Info: (call: ServerUnaryCall<{ digest: string }, unknown>, cb: sendUnaryData<unknown>) => {
      const { digest } = call.request;
      if (digest === BLOB_DIGEST || digest === WRONG_DIGEST) {
        cb(null, { info: { digest, size: BLOB.length } });
      } else cb({ code: status.NOT_FOUND, details: 'content not found' });
    },
  });
  server.addService(serviceDefinition(CONTAINERD_IMAGES_PROTO, IMAGES_SERVICE), {
    Get: onGet,
    List: (call: ServerUnaryCall<{ filters: string[] }, unknown>, cb: sendUnaryData<unknown>) => {
      cb(null, { images: call.request.filters.map((f) => ({ name: f, target: { digest: f } })) });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.bindAsync(endpoint, ServerCredentials.createInsecure(), (err) => {
      if (err === null) resolve();
      else reject(err);
    });
  });
});

after(async () => {
  server.forceShutdown();
  await rm(dir, { recursive: true, force: true });
});

beforeEach(() => {
  behaviour = faithful;
  requests.length = 0;
  namespaces.length = 0;
  cancelled = 0;
});

function client(options: { idleTimeoutMs?: number } = {}): ContainerdClient {
  return new ContainerdClient(parseEndpoint(endpoint), {
    namespace: 'test-ns',
    windowBytes: WINDOW,
    idleTimeoutMs: options.idleTimeoutMs ?? 5_000,
  });
}

async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function failsWith(stream: Readable, code: string, pattern: RegExp): Promise<void> {
  await assert.rejects(collect(stream), (err: unknown) => {
    assert.equal((err as { code?: unknown }).code, code, String(err));
    assert.match((err as Error).message, pattern);
    return true;
  });
}

describe('content reads', () => {
  test('read a blob as consecutive ranged calls of one window each, in the namespace', async () => {
    const c = client();
    const bytes = await collect(c.readContent('sha256:blob', { length: BLOB.length }));
    c.close();

    assert.ok(bytes.equals(BLOB));
    assert.equal(requests.length, Math.ceil(BLOB.length / WINDOW));
    requests.forEach((r, i) => {
      assert.equal(r.offset, i * WINDOW);
      assert.equal(r.size, Math.min(WINDOW, BLOB.length - i * WINDOW));
    });
    assert.deepEqual(new Set(namespaces), new Set(['test-ns']));
  });

  test('read a range from the middle, accepting offsets numbered from the blob start', async () => {
    behaviour = (call, { offset, size }) => {
      call.write({ offset, data: BLOB.subarray(offset, offset + size) });
      call.end();
    };
    const c = client();
    const bytes = await collect(c.readContent('sha256:blob', { offset: 3000, length: 2500 }));
    c.close();
    assert.ok(bytes.equals(BLOB.subarray(3000, 5500)));
  });

  test('a blob shorter than asked fails with RUNTIME_CONTENT_SHORT', async () => {
    const c = client();
    const stream = c.readContent('sha256:blob', { length: BLOB.length + 10 });
    await failsWith(stream, 'RUNTIME_CONTENT_SHORT', /ended the blob after 10000 of 10010 bytes/);
    c.close();
  });

  test('more bytes than asked fail with RUNTIME_BAD_RESPONSE', async () => {
    behaviour = (call) => {
      call.write({ offset: 0, data: Buffer.alloc(WINDOW + 1) });
      call.end();
    };
    const c = client();
    await failsWith(
      c.readContent('sha256:blob', { length: 5000 }),
      'RUNTIME_BAD_RESPONSE',
      /sent more than the 1024 bytes asked for/,
    );
    c.close();
  });

  test('bytes at an unexpected offset fail with RUNTIME_BAD_RESPONSE', async () => {
    behaviour = (call) => {
      call.write({ offset: 0, data: Buffer.alloc(10) });
      call.write({ offset: 500, data: Buffer.alloc(10) });
      call.end();
    };
    const c = client();
    await failsWith(
      c.readContent('sha256:blob', { length: 100 }),
      'RUNTIME_BAD_RESPONSE',
      /answered bytes at offset 500 where 10 was next/,
    );
    c.close();
  });

  test('a server error ends the stream with the runtime error', async () => {
    behaviour = (call) => {
      call.emit('error', {
        code: status.NOT_FOUND,
        details: 'content digest sha256:blob: not found',
      });
    };
    const c = client();
    await failsWith(
      c.readContent('sha256:blob', { length: 100 }),
      'RUNTIME_NOT_FOUND',
      /not found/,
    );
    c.close();
  });

  test('a runtime that stops sending is cancelled after the idle timeout', async () => {
    behaviour = (call) => {
      call.write({ offset: 0, data: Buffer.alloc(10) });
    };
    const c = client({ idleTimeoutMs: 100 });
    await failsWith(
      c.readContent('sha256:blob', { length: 100 }),
      'RUNTIME_TIMEOUT',
      /did not answer content Read of sha256:blob within 100 ms/,
    );
    c.close();
  });

  test('destroying the stream cancels the call in flight', async () => {
    behaviour = (call) => {
      call.write({ offset: 0, data: Buffer.alloc(10) });
    };
    const c = client();
    const stream = c.readContent('sha256:blob', { length: 100 });
    for await (const chunk of stream) {
      assert.equal((chunk as Buffer).length, 10);
      break;
    }
    await waitFor(() => cancelled === 1);
    c.close();
  });

  test('a consumer that stops reading stops further range requests', async () => {
    const c = client();
    const stream = c.readContent('sha256:blob', { length: BLOB.length });
    await new Promise<void>((resolve) => stream.once('readable', resolve));
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.ok(requests.length <= 3, `${requests.length} ranges requested while nobody read`);
    assert.ok((await collect(stream)).equals(BLOB));
    c.close();
  });
});

describe('images calls', () => {
  test('a small blob is read whole and checked against its digest', async () => {
    const c = client();
    try {
      assert.ok((await c.readSmallBlob(BLOB_DIGEST, BLOB.length))?.equals(BLOB));
      assert.equal(await c.readSmallBlob(`sha256:${'0'.repeat(64)}`, BLOB.length), undefined);
      await assert.rejects(c.readSmallBlob(WRONG_DIGEST, BLOB.length), {
        code: 'RUNTIME_BLOB_CORRUPT',
      });
      await assert.rejects(c.readSmallBlob(BLOB_DIGEST, BLOB.length - 1), {
        code: 'RUNTIME_BLOB_TOO_LARGE',
      });
    } finally {
      c.close();
    }
  });

  test('a missing image is undefined, not an error', async () => {
    const c = client();
    assert.equal(await c.getImage('example.test/none:1'), undefined);
    c.close();
  });

  test('an image without a target is a RUNTIME_BAD_RESPONSE naming it', async () => {
    const c = client();
    await assert.rejects(c.getImage('broken'), {
      code: 'RUNTIME_BAD_RESPONSE',
      message: /answered image broken without a target descriptor/,
    });
    c.close();
  });

  test('list passes the filters to containerd', async () => {
    const c = client();
    const images = await c.listImages(['target.digest==sha256:abc']);
    assert.deepEqual(
      images.map((i) => i.name),
      ['target.digest==sha256:abc'],
    );
    c.close();
  });

  test("a gRPC server without containerd's Version is refused as not containerd", async () => {
    await assert.rejects(connectContainerd(endpoint, { timeoutMs: 2_000 }), {
      code: 'RUNTIME_NOT_CONTAINERD',
      message: /does not serve containerd's API/,
    });
  });

  test("namespaces are checked against containerd's identifier rule", () => {
    assert.equal(checkNamespace('k8s.io'), 'k8s.io');
    for (const bad of ['', 'a/b', '-x', 'x..y', 'a'.repeat(77)]) {
      assert.throws(() => checkNamespace(bad), { code: 'CONTAINERD_NAMESPACE_INVALID' });
    }
  });
});

async function waitFor(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assert.ok(condition(), 'condition not reached');
}
