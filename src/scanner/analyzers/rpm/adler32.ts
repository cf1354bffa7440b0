/** Adler-32 (RFC 1950, section 8.2), which rpm's NDB backend uses to checksum blobs. */
export function adler32(data: Uint8Array): number {
  const MOD = 65521;
  // zlib's NMAX: the longest run whose sums stay below 2^32, so the modulo runs once per run.
  const RUN = 5552;
  let a = 1;
  let b = 0;
  for (let start = 0; start < data.length; start += RUN) {
    const end = Math.min(start + RUN, data.length);
    for (let index = start; index < end; index += 1) {
      a += data[index] ?? 0;
      b += a;
    }
    a %= MOD;
    b %= MOD;
  }
  return ((b << 16) | a) >>> 0;
}
