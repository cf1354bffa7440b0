import { posix } from 'node:path';

import { InvalidEndpointError } from './errors.js';

/** A runtime endpoint reduced to what gRPC and the connect probe need. */
export interface RuntimeEndpoint {
  /** Canonical form, `unix:///abs/path`, used in logs and errors. */
  readonly endpoint: string;
  /** Absolute, normalised path of the unix socket. */
  readonly socketPath: string;
}

/** sun_path holds 108 bytes including the terminating NUL on Linux. */
export const MAX_SOCKET_PATH_BYTES = 107;

const SCHEME = /^([a-zA-Z][a-zA-Z0-9+.-]*):/;

/**
 * Parses `unix:///abs/path`, `unix:/abs/path` or a bare `/abs/path`. Everything else (other
 * schemes, a host part, relative paths, control characters) is refused, because eraser only ever
 * talks to a runtime on this node through a unix socket.
 */
export function parseEndpoint(input: string): RuntimeEndpoint {
  const raw = input.trim();
  if (raw === '') throw new InvalidEndpointError(input, 'it is empty');

  if (hasControlCharacter(raw)) {
    throw new InvalidEndpointError(input, 'it contains control characters');
  }

  const path = socketPathOf(input, raw);
  if (!path.startsWith('/')) {
    throw new InvalidEndpointError(input, 'the socket path is not absolute');
  }

  const socketPath = posix.normalize(path);
  if (socketPath === '/' || socketPath.endsWith('/')) {
    throw new InvalidEndpointError(input, 'the socket path names a directory');
  }

  if (Buffer.byteLength(socketPath) > MAX_SOCKET_PATH_BYTES) {
    throw new InvalidEndpointError(
      input,
      `the socket path is longer than ${MAX_SOCKET_PATH_BYTES} bytes`,
    );
  }

  return { endpoint: `unix://${socketPath}`, socketPath };
}

function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}

function socketPathOf(input: string, raw: string): string {
  const scheme = SCHEME.exec(raw)?.[1];
  if (scheme === undefined) return raw;

  if (scheme.toLowerCase() !== 'unix') {
    throw new InvalidEndpointError(input, `scheme "${scheme}" is not supported`);
  }

  const rest = raw.slice(scheme.length + 1);
  if (!rest.startsWith('//')) return rest;

  const afterSlashes = rest.slice(2);
  if (!afterSlashes.startsWith('/')) {
    throw new InvalidEndpointError(input, 'a unix endpoint takes no host part');
  }
  return afterSlashes;
}
