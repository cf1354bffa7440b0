/**
 * Makes text safe to print on a terminal. Image tags, container names, file names and runtime
 * errors come from outside; raw control characters in them could move the cursor, retitle the
 * window or hide lines of a report, so every C0/C1 control character and DEL is shown escaped.
 */
export function printable(text: string): string {
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => {
    return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
  });
}
