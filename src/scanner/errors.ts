import { EraserError } from '../errors.js';

/**
 * Stable codes of scanner failures. Layer-level codes abort the image's inventory (its contents
 * cannot be trusted); file-level codes become warnings and the scan goes on.
 */
export type ScanErrorCode =
  | 'SCAN_BAD_CONFIG'
  | 'SCAN_LAYER_CORRUPT'
  | 'SCAN_DIGEST_MISMATCH'
  | 'SCAN_LIMIT'
  | 'SCAN_ABORTED'
  | 'SCAN_FILE_TOO_LARGE'
  | 'SCAN_SYMLINK'
  | 'SCAN_PARSE';

/** A failure while reading one image: `context` names the image, layer and path involved. */
export class ScanError extends EraserError {
  declare readonly code: ScanErrorCode;

  constructor(
    code: ScanErrorCode,
    message: string,
    context: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super(code, message, context, options);
  }
}

/** A garbage or oversized package database or manifest; reported as a warning. */
export class ParseError extends ScanError {
  constructor(message: string, context: Record<string, unknown> = {}, cause?: unknown) {
    super('SCAN_PARSE', message, context, cause === undefined ? undefined : { cause });
  }
}
