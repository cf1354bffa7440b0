import { stat } from 'node:fs/promises';
import { createConnection } from 'node:net';

import type { RuntimeEndpoint } from './endpoint.js';
import {
  RuntimeIncompatibleError,
  RuntimeUnavailableError,
  type UnavailableCode,
} from './errors.js';

/** HTTP/2 connection preface (RFC 9113 §3.4) followed by an empty SETTINGS frame. */
const CLIENT_PREFACE = Buffer.concat([
  Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1'),
  Buffer.from([0, 0, 0, 0x04, 0, 0, 0, 0, 0]),
]);

const FRAME_HEADER_BYTES = 9;
const FRAME_TYPE_SETTINGS = 0x04;

function errnoOf(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null || !('code' in err)) return undefined;
  return typeof err.code === 'string' ? err.code : undefined;
}

const ERRNO_CODES: ReadonlyMap<string, UnavailableCode> = new Map([
  ['ENOENT', 'RUNTIME_SOCKET_MISSING'],
  ['ENOTDIR', 'RUNTIME_SOCKET_MISSING'],
  ['EACCES', 'RUNTIME_PERMISSION_DENIED'],
  ['EPERM', 'RUNTIME_PERMISSION_DENIED'],
  ['ECONNREFUSED', 'RUNTIME_CONNECTION_REFUSED'],
  ['ENOTSOCK', 'RUNTIME_NOT_A_SOCKET'],
]);

const ERRNO_MESSAGES: Readonly<Record<UnavailableCode, string>> = {
  RUNTIME_SOCKET_MISSING: 'no socket exists at that path; is the runtime running?',
  RUNTIME_PERMISSION_DENIED: 'permission denied; run with access to the runtime socket',
  RUNTIME_NOT_A_SOCKET: 'the path exists but is not a unix socket',
  RUNTIME_CONNECTION_REFUSED: 'the socket exists but nothing accepts connections on it',
  RUNTIME_UNAVAILABLE: 'the runtime cannot be reached',
};

/** Maps a failed stat/connect to the error a user can act on. */
export function unavailableFromErrno(endpoint: RuntimeEndpoint, err: unknown): Error {
  const errno = errnoOf(err);
  const code = (errno === undefined ? undefined : ERRNO_CODES.get(errno)) ?? 'RUNTIME_UNAVAILABLE';
  return new RuntimeUnavailableError(
    code,
    endpoint.endpoint,
    `cannot be connected to: ${ERRNO_MESSAGES[code]}`,
    { socketPath: endpoint.socketPath, errno },
    { cause: err },
  );
}

async function checkSocketFile(endpoint: RuntimeEndpoint): Promise<void> {
  let isSocket: boolean;
  try {
    isSocket = (await stat(endpoint.socketPath)).isSocket();
  } catch (err: unknown) {
    throw unavailableFromErrno(endpoint, err);
  }

  if (!isSocket) throw unavailableFromErrno(endpoint, { code: 'ENOTSOCK' });
}

/**
 * Checks that the socket exists, that we may connect, and that the server speaks HTTP/2 (a gRPC
 * server's first frame is SETTINGS). A plain HTTP/1 server or a ttrpc socket answers differently
 * or hangs up, which is classified as RUNTIME_NOT_CRI before any gRPC call could hang or fail
 * with a vague status.
 */
export async function probeSocket(endpoint: RuntimeEndpoint, timeoutMs: number): Promise<void> {
  await checkSocketFile(endpoint);
  await http2Handshake(endpoint, timeoutMs);
}

function notCri(endpoint: RuntimeEndpoint, what: string, received: Buffer): Error {
  return new RuntimeIncompatibleError(
    'RUNTIME_NOT_CRI',
    endpoint.endpoint,
    `is not a CRI (gRPC) server: ${what}`,
    { received: printable(received) },
  );
}

function printable(bytes: Buffer): string {
  return bytes
    .subarray(0, 32)
    .toString('latin1')
    .replace(/[^\x20-\x7e]/g, '.');
}

function judgeFirstFrame(endpoint: RuntimeEndpoint, received: Buffer): Error | undefined {
  const type = received[3];
  const streamId = received.readUInt32BE(5) & 0x7fffffff;
  if (type === FRAME_TYPE_SETTINGS && streamId === 0) return undefined;
  return notCri(endpoint, 'it did not answer the HTTP/2 handshake with SETTINGS', received);
}

function http2Handshake(endpoint: RuntimeEndpoint, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ path: endpoint.socketPath });
    let received = Buffer.alloc(0);

    const finish = (err: Error | undefined): void => {
      clearTimeout(timer);
      socket.destroy();
      if (err === undefined) resolve();
      else reject(err);
    };

    // An HTTP/2 server answers the preface at once, even when its RPC handlers are stuck, so
    // silence here means another protocol (a ttrpc server, for one, waits for a frame whose
    // length it read from the preface bytes) or a runtime process that is not running at all:
    // stopped or frozen, while the kernel still accepts connections on its socket.
    const timer = setTimeout(() => {
      finish(
        notCri(
          endpoint,
          `it accepted the connection but sent nothing within ${timeoutMs} ms: either the ` +
            'runtime process is stopped or frozen, or this is not a gRPC server (ttrpc, for one)',
          received,
        ),
      );
    }, timeoutMs);

    let connected = false;
    socket.on('connect', () => {
      connected = true;
      socket.write(CLIENT_PREFACE);
    });
    // Once connected, a reset or broken pipe means the server rejected the HTTP/2 preface.
    socket.on('error', (err) => {
      finish(
        connected
          ? notCri(endpoint, `it dropped the connection during the HTTP/2 handshake`, received)
          : unavailableFromErrno(endpoint, err),
      );
    });
    socket.on('close', () => {
      finish(notCri(endpoint, 'it closed the connection during the HTTP/2 handshake', received));
    });
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (received.length >= FRAME_HEADER_BYTES) finish(judgeFirstFrame(endpoint, received));
    });
  });
}
