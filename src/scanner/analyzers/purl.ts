/**
 * Package URLs per the purl specification (github.com/package-url/purl-spec): components are
 * percent-encoded, `:` may stay as is, qualifiers are sorted by key and empty ones dropped.
 */
export interface PurlParts {
  readonly type: string;
  readonly namespace?: string;
  readonly name: string;
  readonly version?: string;
  readonly qualifiers?: Readonly<Record<string, string | undefined>>;
}

/**
 * A lone surrogate (possible in JSON metadata) has no UTF-8 form and makes encodeURIComponent
 * throw; it becomes U+FFFD, as a UTF-8 decoder would have made it, so the package stays listed.
 */
export function encodePurlComponent(value: string): string {
  return encodeURIComponent(wellFormed(value)).replace(/%3A/g, ':');
}

function wellFormed(value: string): string {
  return value.replace(
    /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g,
    '\uFFFD',
  );
}

export function formatPurl(parts: PurlParts): string {
  const namespace =
    parts.namespace === undefined
      ? ''
      : parts.namespace.split('/').map(encodePurlComponent).join('/') + '/';
  const version = parts.version === undefined ? '' : `@${encodePurlComponent(parts.version)}`;
  const qualifiers = Object.entries(parts.qualifiers ?? {})
    .filter((entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== '')
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, value]) => `${key}=${encodePurlComponent(value)}`)
    .join('&');
  const suffix = qualifiers === '' ? '' : `?${qualifiers}`;
  return `pkg:${parts.type}/${namespace}${encodePurlComponent(parts.name)}${version}${suffix}`;
}

/** PEP 503 name normalisation: runs of `-`, `_` and `.` become one `-`, all lower case. */
export function normalisePypiName(name: string): string {
  return name.replace(/[-_.]+/g, '-').toLowerCase();
}
