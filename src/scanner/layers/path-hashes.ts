/**
 * Sets of paths kept as 64-bit hashes, 8 bytes a path. A layer read records every entry it did
 * not keep this way (which paths are folders, which are not) so that the merge can tell when
 * an upper layer replaced a lower folder or file. The strings of a 100,000-entry layer would
 * cost megabytes, for the handful of paths that ever matter.
 *
 * Two distinct paths share a hash with a chance of about 2^-64. The merge asks (kept paths and
 * their folders) × (layers) questions per image, so a false "replaced", which would hide a kept
 * file, does not happen by accident. An image author could craft one, but could as well delete
 * the file: the image's content is theirs either way.
 */

/** A path's hash as two 32-bit halves (numbers, so lookups allocate nothing). */
export interface PathKey {
  readonly hi: number;
  readonly lo: number;
}

/** Whether this machine stores the low half of a uint64 first; typed-array views follow it. */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
const HI = LITTLE_ENDIAN ? 1 : 0;
const LO = 1 - HI;

/**
 * Two independent 32-bit lanes over the UTF-16 code units: an FNV-1a lane and a
 * multiply-xorshift lane, each through a murmur3-style finaliser. Stable across runs and
 * machines, since cached layer reads store the values.
 */
export function pathKey(path: string): PathKey {
  let hi = 0x811c9dc5 ^ path.length;
  let lo = 0x9e3779b9 ^ path.length;
  for (let i = 0; i < path.length; i += 1) {
    const unit = path.charCodeAt(i);
    hi = Math.imul(hi ^ unit, 0x01000193);
    lo = Math.imul(lo ^ unit, 0x5bd1e995);
    lo ^= lo >>> 15;
  }
  return { hi: finalise(hi, 0x85ebca6b, 0xc2b2ae35), lo: finalise(lo, 0x7feb352d, 0x846ca68b) };
}

function finalise(value: number, first: number, second: number): number {
  let h = value;
  h ^= h >>> 16;
  h = Math.imul(h, first);
  h ^= h >>> 13;
  h = Math.imul(h, second);
  h ^= h >>> 16;
  return h >>> 0;
}

/** An immutable, sorted set of path hashes. */
export class PathHashes {
  static readonly EMPTY = new PathHashes(new BigUint64Array(0));

  /** The same values as 32-bit words, searched without making a BigInt per probe. */
  private readonly words: Uint32Array;

  /** `values` must be sorted and free of repeats (the builder and decoder make sure). */
  private constructor(private readonly values: BigUint64Array) {
    this.words = new Uint32Array(values.buffer, values.byteOffset, values.length * 2);
  }

  /** The set of the given paths. */
  static of(paths: Iterable<string>): PathHashes {
    const builder = new PathHashesBuilder();
    for (const path of paths) builder.add(path);
    return builder.build();
  }

  /**
   * Reads the form `toBuffer` writes. Undefined when the length is not a whole number of
   * hashes or the hashes are not strictly increasing: such bytes were not written by us.
   */
  static fromBuffer(data: Buffer): PathHashes | undefined {
    if (data.length % 8 !== 0) return undefined;
    const values = new BigUint64Array(data.length / 8);
    const words = new Uint32Array(values.buffer);
    for (let i = 0; i < values.length; i += 1) {
      words[2 * i + HI] = data.readUInt32BE(8 * i);
      words[2 * i + LO] = data.readUInt32BE(8 * i + 4);
      if (i > 0 && compareAt(words, i - 1, words, i) >= 0) return undefined;
    }
    return values.length === 0 ? PathHashes.EMPTY : new PathHashes(values);
  }

  get size(): number {
    return this.values.length;
  }

  /**
   * The items whose key is in the set, for items sorted by key (`byKey`). Few items are looked
   * up one by one; many take one merge walk over both, costing the sum of the sizes.
   */
  matching<T extends { readonly key: PathKey }>(sorted: readonly T[]): T[] {
    if (sorted.length * 32 < this.values.length) return sorted.filter((item) => this.has(item.key));
    const found: T[] = [];
    let at = 0;
    for (const item of sorted) {
      while (at < this.values.length && compareKey(this.words, at, item.key) < 0) at += 1;
      if (at === this.values.length) break;
      if (compareKey(this.words, at, item.key) === 0) found.push(item);
    }
    return found;
  }

  has(key: PathKey): boolean {
    let low = 0;
    let high = this.values.length - 1;
    while (low <= high) {
      const middle = (low + high) >>> 1;
      const hi = this.words[2 * middle + HI] ?? 0;
      const lo = this.words[2 * middle + LO] ?? 0;
      if (hi === key.hi && lo === key.lo) return true;
      if (hi < key.hi || (hi === key.hi && lo < key.lo)) low = middle + 1;
      else high = middle - 1;
    }
    return false;
  }

  /** Big-endian halves, high first, in increasing order: the same bytes on every machine. */
  toBuffer(): Buffer {
    const out = Buffer.alloc(this.values.length * 8);
    for (let i = 0; i < this.values.length; i += 1) {
      out.writeUInt32BE(this.words[2 * i + HI] ?? 0, 8 * i);
      out.writeUInt32BE(this.words[2 * i + LO] ?? 0, 8 * i + 4);
    }
    return out;
  }

  /** Sorts and de-duplicates the first `count` values of a builder's array. */
  static sorted(values: BigUint64Array, count: number): PathHashes {
    const used = values.subarray(0, count).sort();
    let kept = 0;
    for (let i = 0; i < used.length; i += 1) {
      if (kept === 0 || used[i] !== used[kept - 1]) used[kept++] = used[i] ?? 0n;
    }
    return kept === 0 ? PathHashes.EMPTY : new PathHashes(used.slice(0, kept));
  }
}

/** Orders items by their path hash, as `matching` needs. */
export function byKey(a: { readonly key: PathKey }, b: { readonly key: PathKey }): number {
  return a.key.hi - b.key.hi || a.key.lo - b.key.lo;
}

function compareKey(words: Uint32Array, i: number, key: PathKey): number {
  return (words[2 * i + HI] ?? 0) - key.hi || (words[2 * i + LO] ?? 0) - key.lo;
}

function compareAt(a: Uint32Array, i: number, b: Uint32Array, j: number): number {
  const hi = (a[2 * i + HI] ?? 0) - (b[2 * j + HI] ?? 0);
  return hi !== 0 ? hi : (a[2 * i + LO] ?? 0) - (b[2 * j + LO] ?? 0);
}

/** Collects path hashes while a layer streams: 8 bytes a path, doubling as it grows. */
export class PathHashesBuilder {
  private values = new BigUint64Array(64);
  private words = new Uint32Array(this.values.buffer);
  private count = 0;

  add(path: string): void {
    if (this.count === this.values.length) this.grow();
    const key = pathKey(path);
    this.words[2 * this.count + HI] = key.hi;
    this.words[2 * this.count + LO] = key.lo;
    this.count += 1;
  }

  build(): PathHashes {
    return PathHashes.sorted(this.values, this.count);
  }

  private grow(): void {
    const larger = new BigUint64Array(this.values.length * 2);
    larger.set(this.values);
    this.values = larger;
    this.words = new Uint32Array(larger.buffer);
  }
}
