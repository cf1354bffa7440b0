/**
 * Makes text safe to print on a terminal. Image tags, container names, package names, file
 * names and runtime errors come from outside; raw control characters in them could move the
 * cursor, retitle or clear the window, or hide lines of a report. C0 and C1 controls, DEL and the
 * Unicode line separators are shown as their `\uXXXX` escapes, as JSON would write them; so are
 * the bidirectional marks, overrides and isolates, which reorder what the reader sees (a package
 * name holding U+202E prints the rest of the line backwards), and the zero-width characters,
 * which make two different names look the same.
 */
const CONTROL =
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060\u2066-\u2069\ufeff]/g;

export function printable(text: string): string {
  return text.replace(CONTROL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
