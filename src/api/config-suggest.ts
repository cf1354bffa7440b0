/**
 * Edit distance (insert, delete, substitute, swap of neighbours), case-insensitive; any
 * distance above `limit` reads as `limit + 1`.
 */
function distance(a: string, b: string, limit: number): number {
  const s = a.toLowerCase();
  const t = b.toLowerCase();
  // Every edit changes the length by one at most. Skipping keys of far other length keeps a
  // pasted megabyte-long key from costing a table of a million rows per known field.
  if (Math.abs(s.length - t.length) > limit) return limit + 1;
  const rows: number[][] = Array.from({ length: s.length + 1 }, (_, i) =>
    Array.from({ length: t.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  const at = (i: number, j: number): number => rows[i]?.[j] ?? Infinity;
  for (let i = 1; i <= s.length; i++) {
    for (let j = 1; j <= t.length; j++) {
      const cost = s[i - 1] === t[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && s[i - 1] === t[j - 2] && s[i - 2] === t[j - 1]) {
        best = Math.min(best, at(i - 2, j - 2) + 1);
      }
      (rows[i] as number[])[j] = best;
    }
  }
  return at(s.length, t.length);
}

/**
 * The known field an unknown key was most likely meant to be: the closest by edit distance,
 * when close enough to be a typo (a third of the name, at least one edit, at most three).
 */
export function nearestField(key: string, known: readonly string[]): string | undefined {
  const limit = Math.min(3, Math.max(1, Math.floor(key.length / 3)));
  let best: string | undefined;
  let bestDistance = limit + 1;
  for (const candidate of known) {
    const d = distance(key, candidate, limit);
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  return best;
}
