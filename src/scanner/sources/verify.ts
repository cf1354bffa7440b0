import { createHash, type Hash } from 'node:crypto';
import { pipeline, Transform, type Readable, type TransformCallback } from 'node:stream';

import { ScanError } from '../errors.js';
import { ImageSourceError } from './errors.js';
import type { Descriptor } from './types.js';

/** Digests the OCI image spec registers; the hex length is fixed per algorithm. */
const DIGEST = /^(?:sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/;

export function isDigest(value: string): boolean {
  return DIGEST.test(value);
}

/** What a blob is to its image, for messages: `layer sha256:… of image app:1`. */
export type BlobRole = 'index' | 'manifest' | 'config' | 'layer' | 'blob';

/** Builds the error for a blob whose bytes are not what its descriptor promises. */
export type MismatchError = (problem: string, actual?: string) => Error;

/**
 * Layers fail with the scanner's own SCAN_DIGEST_MISMATCH, which it passes on unchanged; other
 * blobs with SOURCE_DIGEST_MISMATCH. Both name the image and the blob.
 */
export function mismatchError(
  role: BlobRole,
  descriptor: Descriptor,
  image: string,
  location: string,
): MismatchError {
  return (problem, actual) => {
    const message = `${role} ${descriptor.digest} of image ${image} ${problem} (${location})`;
    const context = {
      image,
      [role === 'layer' ? 'layer' : 'digest']: descriptor.digest,
      role,
      location,
      ...(actual === undefined ? {} : { actual }),
    };
    return role === 'layer'
      ? new ScanError('SCAN_DIGEST_MISMATCH', message, context)
      : new ImageSourceError('SOURCE_DIGEST_MISMATCH', message, context);
  };
}

/**
 * Passes a blob through while hashing and counting it. It fails as soon as more bytes than the
 * descriptor's size arrive (so a lying store cannot stream forever), and at the end when the
 * size or the digest differ.
 */
export class DigestVerifier extends Transform {
  private readonly hash: Hash;
  private count = 0;

  constructor(
    private readonly descriptor: Descriptor,
    private readonly fail: MismatchError,
  ) {
    super();
    this.hash = createHash(descriptor.digest.slice(0, descriptor.digest.indexOf(':')));
  }

  override _transform(chunk: Buffer, _encoding: string, callback: TransformCallback): void {
    this.count += chunk.length;
    if (this.count > this.descriptor.size) {
      callback(this.fail(`is longer than the ${this.descriptor.size} bytes its descriptor gives`));
      return;
    }
    this.hash.update(chunk);
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    if (this.count !== this.descriptor.size) {
      const sizes = `${this.count} bytes, not the ${this.descriptor.size} its descriptor gives`;
      callback(this.fail(`is ${sizes}`));
      return;
    }
    const algorithm = this.descriptor.digest.slice(0, this.descriptor.digest.indexOf(':'));
    const actual = `${algorithm}:${this.hash.digest('hex')}`;
    if (actual !== this.descriptor.digest) {
      callback(this.fail(`does not match its digest: the bytes hash to ${actual}`, actual));
      return;
    }
    callback();
  }
}

/**
 * The bytes of `source`, verified. Destroying the returned stream destroys the source too, so a
 * consumer that stops early releases the file or cancels the runtime call.
 */
export function verifiedStream(source: Readable, descriptor: Descriptor, fail: MismatchError) {
  const verifier = new DigestVerifier(descriptor, fail);
  // Errors reach the consumer through the verifier, which pipeline destroys with them.
  return pipeline(source, verifier, () => undefined);
}

/** Reads a verified stream whole; the verifier has already bounded it to the descriptor size. */
export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Fails before any byte is read when a descriptor announces more than `maxBytes`. */
export function checkAnnouncedSize(
  role: BlobRole,
  descriptor: Descriptor,
  maxBytes: number,
  image: string,
): void {
  if (descriptor.size <= maxBytes) return;
  throw new ImageSourceError(
    'SOURCE_TOO_LARGE',
    `${role} ${descriptor.digest} of image ${image} is ${descriptor.size} bytes, more than the ` +
      `limit of ${maxBytes}`,
    { image, digest: descriptor.digest, role, size: descriptor.size, limit: maxBytes },
  );
}
