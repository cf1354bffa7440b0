import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';

/** Digest algorithms a layer digest may name (OCI image spec: sha256 and sha512). */
const ALGORITHMS = new Set(['sha256', 'sha512']);

export function digestAlgorithm(digest: string): string | undefined {
  const algorithm = digest.slice(0, digest.indexOf(':'));
  return ALGORITHMS.has(algorithm) ? algorithm : undefined;
}

export class ByteLimitError extends Error {
  constructor(readonly limit: number) {
    super(`more than ${limit} bytes`);
  }
}

/**
 * Passes bytes through while hashing and counting them, and fails the stream as soon as the count
 * passes `limit`, so a decompression bomb stops at the limit rather than at the end.
 */
export class Meter extends Transform {
  private readonly hash: Hash;
  private count = 0;

  constructor(
    private readonly algorithm: string,
    private readonly limit: number,
  ) {
    super();
    this.hash = createHash(algorithm);
  }

  get bytes(): number {
    return this.count;
  }

  /** The `algorithm:hex` digest of everything that passed; call once the stream ended. */
  digest(): string {
    return `${this.algorithm}:${this.hash.digest('hex')}`;
  }

  override _transform(chunk: Buffer, _encoding: string, callback: TransformCallback): void {
    this.count += chunk.length;
    if (this.count > this.limit) {
      callback(new ByteLimitError(this.limit));
      return;
    }
    this.hash.update(chunk);
    callback(null, chunk);
  }
}
