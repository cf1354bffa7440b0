import { EraserError } from '../errors.js';

/** Longest piece of outside input quoted in an error message; the rest is elided. */
const MAX_QUOTED = 200;

/** Shortens hostile or huge inputs before they reach messages and logs. */
export function quote(value: string): string {
  const shown = value.length > MAX_QUOTED ? `${value.slice(0, MAX_QUOTED)}…` : value;
  return JSON.stringify(shown);
}

/** An image reference that the distribution reference grammar does not accept. */
export class InvalidReferenceError extends EraserError {
  /** What is wrong, without the input: for callers that wrap this error in their own. */
  readonly reason: string;

  constructor(input: string, reason: string) {
    super('INVALID_REFERENCE', `invalid image reference ${quote(input)}: ${reason}`, {
      input: input.length > MAX_QUOTED ? `${input.slice(0, MAX_QUOTED)}…` : input,
      reason,
    });
    this.reason = reason;
  }
}

/** A short image ID that names more than one image on the node. */
export class AmbiguousImageError extends EraserError {
  constructor(prefix: string, candidates: readonly string[]) {
    super(
      'AMBIGUOUS_IMAGE_ID',
      `image ID prefix ${quote(prefix)} matches ${candidates.length} images; ` +
        'give more hex digits or the full ID',
      { prefix, candidates: [...candidates] },
    );
  }
}

export interface ExclusionFileErrorDetails {
  /** The entry at fault, when one entry (not the whole file) is wrong. */
  readonly entry?: string;
  readonly cause?: unknown;
}

/** An exclusion file or directory that cannot be read or does not hold `{"excluded": [...]}`. */
export class ExclusionFileError extends EraserError {
  constructor(file: string, reason: string, details: ExclusionFileErrorDetails = {}) {
    const context: Record<string, unknown> = { file, reason };
    if (details.entry !== undefined) context['entry'] = details.entry;
    super('EXCLUSION_FILE_INVALID', `exclusion file ${quote(file)}: ${reason}`, context, {
      cause: details.cause,
    });
  }
}
