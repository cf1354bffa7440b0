/**
 * Parses os-release(5): `KEY=value` lines, values optionally in single or double quotes, with
 * backslash escapes inside double quotes; `#` starts a comment line. Unknown lines are skipped
 * rather than rejected, as every distribution's tools do.
 */
export function parseOsRelease(text: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const rawLine of text.split('\n')) {
    const line = rawLine.trim();
    if (line === '' || line.startsWith('#')) continue;

    const equals = line.indexOf('=');
    if (equals <= 0) continue;

    const key = line.slice(0, equals);
    if (!/^[A-Z0-9_]+$/.test(key)) continue;
    fields.set(key, unquote(line.slice(equals + 1)));
  }
  return fields;
}

function unquote(value: string): string {
  const quote = value[0];
  if ((quote === '"' || quote === "'") && value.length >= 2 && value.endsWith(quote)) {
    const inner = value.slice(1, -1);
    return quote === '"' ? inner.replace(/\\([$"`\\])/g, '$1') : inner;
  }
  return value;
}

/** Paths of the os-release file, in the order os-release(5) says to try them. */
export const OS_RELEASE_PATHS = ['etc/os-release', 'usr/lib/os-release'] as const;
