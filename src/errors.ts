/**
 * Base of every error eraser raises on purpose. `context` carries the inputs a user needs to act
 * (endpoint, image, file, field, value); `code` is stable for scripts and exit-code mapping.
 */
export class EraserError extends Error {
  readonly code: string;
  readonly context: Readonly<Record<string, unknown>>;

  constructor(
    code: string,
    message: string,
    context: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.context = context;
  }
}

/** Renders an unknown thrown value as a message, for logs and reports. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
