/**
 * Kubernetes resource quantities (`500Mi`, `7m`, `1.5`, `2e3`, `0`), validated and converted to a
 * plain number (bytes or cores) so requests and limits can be compared.
 */

const SUFFIX: Readonly<Record<string, number>> = {
  '': 1,
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

// sign, digits with an optional fraction, then one binary-SI, decimal-SI or exponent suffix.
const QUANTITY =
  /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(?:(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE])|[eE]([+-]?\d+))?$/u;

/** Parses a quantity; undefined when the text is not Kubernetes quantity syntax. */
export function parseQuantity(text: string): number | undefined {
  const match = QUANTITY.exec(text);
  if (match === null) return undefined;

  const [, amount = '', suffix = '', exponent] = match;
  if (exponent !== undefined && Math.abs(Number(exponent)) > 100) return undefined;

  const factor = exponent === undefined ? (SUFFIX[suffix] ?? 1) : 10 ** Number(exponent);
  const value = Number(amount) * factor;
  return Number.isFinite(value) ? value : undefined;
}
