/**
 * Image content (package names, OS names, folder names, annotations) is outside data: printed
 * raw, an escape sequence in it could retitle, clear or reprogram the user's terminal.
 */

/** C0 controls, DEL and C1 controls (what terminals act on), plus Unicode line separators. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

/** `text` with every control character shown as its `\uXXXX` escape, as JSON would write it. */
export function terminalSafe(text: string): string {
  return text.replace(CONTROL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
