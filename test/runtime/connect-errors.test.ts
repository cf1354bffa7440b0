import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmod, link, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer } from 'node:http';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import {
  Server as GrpcServer,
  ServerCredentials,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';

import { connectRuntime } from '../../src/runtime/cri-client.js';
import {
  RuntimeError,
  RuntimeIncompatibleError,
  RuntimeTimeoutError,
  RuntimeUnavailableError,
} from '../../src/runtime/errors.js';
import {
  CRI_V1_PROTO,
  CRI_V1ALPHA2_PROTO,
  RUNTIME_SERVICE,
  RUNTIME_SERVICE_V1ALPHA2,
  serviceDefinition,
} from '../../src/runtime/proto.js';

let dir: string;
const servers: Server[] = [];
const grpcServers: GrpcServer[] = [];

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cri-err-'));
  // World-traversable, so the unprivileged child below reaches the sockets it should.
  await chmod(dir, 0o755);
});

after(async () => {
  for (const server of servers) server.close();
  for (const server of grpcServers) server.forceShutdown();
  await rm(dir, { recursive: true, force: true });
});

function listen(server: Server, path: string): Promise<void> {
  servers.push(server);
  return new Promise((resolve) => server.listen(path, resolve));
}

function bindGrpc(server: GrpcServer, path: string): Promise<void> {
  grpcServers.push(server);
  return new Promise((resolve, reject) => {
    server.bindAsync(`unix://${path}`, ServerCredentials.createInsecure(), (err) => {
      if (err === null) resolve();
      else reject(err);
    });
  });
}

async function connectError(endpoint: string, timeoutMs = 5_000): Promise<RuntimeError> {
  try {
    const runtime = await connectRuntime(endpoint, { timeoutMs });
    runtime.close();
  } catch (err: unknown) {
    assert.ok(err instanceof RuntimeError, `expected a RuntimeError, got ${String(err)}`);
    assert.equal(err.context['endpoint'], `unix://${endpoint.replace(/^unix:\/\//, '')}`);
    return err;
  }
  assert.fail(`connecting to ${endpoint} succeeded`);
}

const CHILD = fileURLToPath(new URL('./fixtures/connect-once.ts', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const NOBODY = 65534;

/** Connects from a child process running as `nobody`, so file permissions apply. */
function connectAsNobody(endpoint: string): Promise<{ ok: boolean; code?: string }> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', CHILD, endpoint],
      { uid: NOBODY, gid: NOBODY, timeout: 30_000, cwd: REPO_ROOT },
      (err, stdout, stderr) => {
        if (err !== null) reject(new Error(`child failed: ${stderr}`, { cause: err }));
        else resolve(JSON.parse(stdout) as { ok: boolean; code?: string });
      },
    );
  });
}

describe('connectRuntime classifies what is at the endpoint', () => {
  test('a missing socket is RUNTIME_SOCKET_MISSING', async () => {
    const err = await connectError(`unix://${join(dir, 'absent.sock')}`);
    assert.ok(err instanceof RuntimeUnavailableError);
    assert.equal(err.code, 'RUNTIME_SOCKET_MISSING');
  });

  test('a regular file is RUNTIME_NOT_A_SOCKET', async () => {
    const file = join(dir, 'plain-file');
    await writeFile(file, 'not a socket');
    const err = await connectError(file);
    assert.ok(err instanceof RuntimeUnavailableError);
    assert.equal(err.code, 'RUNTIME_NOT_A_SOCKET');
  });

  test('a socket nobody listens on is RUNTIME_CONNECTION_REFUSED', async () => {
    const live = join(dir, 'live.sock');
    const stale = join(dir, 'stale.sock');
    const server = createServer();
    await listen(server, live);
    // A hard link keeps the socket file after the listener is gone, like a crashed runtime.
    await link(live, stale);
    await new Promise((resolve) => server.close(resolve));

    const err = await connectError(stale);
    assert.equal(err.code, 'RUNTIME_CONNECTION_REFUSED');
  });

  test('a plain HTTP server is RUNTIME_NOT_CRI', async () => {
    const path = join(dir, 'http.sock');
    const server = createHttpServer((_, res) => res.end('hello'));
    await listen(server, path);

    const err = await connectError(`unix://${path}`);
    assert.ok(err instanceof RuntimeIncompatibleError);
    assert.equal(err.code, 'RUNTIME_NOT_CRI');
  });

  test('a server that hangs up on the HTTP/2 preface is RUNTIME_NOT_CRI', async () => {
    const path = join(dir, 'hangup.sock');
    await listen(
      createServer((socket) => socket.once('data', () => socket.destroy())),
      path,
    );

    const err = await connectError(path);
    assert.equal(err.code, 'RUNTIME_NOT_CRI');
  });

  test('a server that never answers the HTTP/2 preface is RUNTIME_NOT_CRI', async () => {
    const path = join(dir, 'silent.sock');
    await listen(
      createServer(() => undefined),
      path,
    );

    const err = await connectError(path, 300);
    assert.ok(err instanceof RuntimeIncompatibleError);
    assert.equal(err.code, 'RUNTIME_NOT_CRI');
  });

  test('a gRPC runtime whose Version never answers is RUNTIME_TIMEOUT', async () => {
    const path = join(dir, 'hung.sock');
    const server = new GrpcServer();
    const service = serviceDefinition(CRI_V1_PROTO, RUNTIME_SERVICE);
    server.addService(service, { Version: () => undefined });
    await bindGrpc(server, path);

    const err = await connectError(path, 300);
    assert.ok(err instanceof RuntimeTimeoutError);
    assert.equal(err.code, 'RUNTIME_TIMEOUT');
    assert.equal(err.context['timeoutMs'], 300);
  });

  test('a gRPC server with only CRI v1alpha2 Version is RUNTIME_CRI_TOO_OLD', async () => {
    const path = join(dir, 'old.sock');
    const server = new GrpcServer();
    const implementation: UntypedServiceImplementation = {
      Version: (_call: unknown, callback: (err: null, value: object) => void) => {
        callback(null, {
          version: '0.1.0',
          runtimeName: 'old-runtime',
          runtimeVersion: '1.4.0',
          runtimeApiVersion: 'v1alpha2',
        });
      },
    };
    server.addService(
      serviceDefinition(CRI_V1ALPHA2_PROTO, RUNTIME_SERVICE_V1ALPHA2),
      implementation,
    );
    await bindGrpc(server, path);

    const err = await connectError(path);
    assert.ok(err instanceof RuntimeIncompatibleError);
    assert.equal(err.code, 'RUNTIME_CRI_TOO_OLD');
    assert.equal(err.context['runtimeName'], 'old-runtime');
    assert.match(err.message, /v1alpha2/);
  });

  test('a gRPC server without any CRI service is RUNTIME_NOT_CRI', async () => {
    const path = join(dir, 'empty-grpc.sock');
    await bindGrpc(new GrpcServer(), path);

    const err = await connectError(path);
    assert.equal(err.code, 'RUNTIME_NOT_CRI');
  });
});

const isRoot = process.getuid?.() === 0;

describe(
  'permission denied (checked as user nobody: root bypasses file modes)',
  {
    skip: isRoot ? false : 'needs root to start a child process as nobody',
  },
  () => {
    test('a socket with mode 000 is RUNTIME_PERMISSION_DENIED', async () => {
      const path = join(dir, 'locked.sock');
      await listen(createServer(), path);
      await chmod(path, 0o000);

      assert.deepEqual(await connectAsNobody(path), {
        ok: false,
        code: 'RUNTIME_PERMISSION_DENIED',
        name: 'RuntimeUnavailableError',
      });
    });

    test('a socket inside a folder with mode 000 is RUNTIME_PERMISSION_DENIED', async () => {
      const lockedDir = join(dir, 'locked-dir');
      await mkdir(lockedDir);
      const path = join(lockedDir, 'inner.sock');
      await listen(createServer(), path);
      await chmod(lockedDir, 0o000);

      const outcome = await connectAsNobody(path);
      await chmod(lockedDir, 0o755);
      assert.equal(outcome.code, 'RUNTIME_PERMISSION_DENIED');
    });

    test('root reaches a mode 000 socket, which is why the check runs as nobody', async () => {
      const path = join(dir, 'root-can.sock');
      await listen(
        createServer((socket) => socket.destroy()),
        path,
      );
      await chmod(path, 0o000);

      const err = await connectError(path);
      assert.equal(err.code, 'RUNTIME_NOT_CRI');
    });
  },
);
