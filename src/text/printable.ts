/**
 * Makes text safe to print on a terminal. Image tags, container names, package names, file
 * names and runtime errors come from outside; raw control characters in them could move the
 * cursor, retitle or clear the window, or hide lines of a report. C0 and C1 controls, DEL and the
 * Unicode line separators are shown as their `\uXXXX` escapes, as JSON would write them.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

export function printable(text: string): string {
  return text.replace(CONTROL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
