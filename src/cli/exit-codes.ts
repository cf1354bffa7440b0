/**
 * Exit codes of `eraser run`, documented in `--help` and the README. Scripts and the controller
 * (which reads worker pod exit codes) depend on them, so they never change meaning.
 */
export const ExitCode = {
  /** Every image was removed or kept for a reason the report gives. */
  Ok: 0,
  /** A bug or an unexpected error; the message says where. */
  Internal: 1,
  /** Bad flags, image list or exclusion file; nothing was removed. */
  Usage: 2,
  /** The runtime could not be reached or is not a usable CRI endpoint; nothing was removed. */
  RuntimeUnavailable: 3,
  /** Some removals failed; the others happened and the report lists both. */
  PartialFailure: 4,
  /** SIGINT or SIGTERM: removals in flight finished, the rest were not attempted. */
  Interrupted: 5,
} as const;

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export const EXIT_CODE_HELP = `
Exit codes:
  0  success: every image was removed or kept for a reason the report gives
  1  unexpected error
  2  bad input (flags, image list, exclusion file); nothing was removed
  3  runtime unreachable or not a usable CRI endpoint; nothing was removed
  4  partial failure: some removals failed, the report says which and why
  5  interrupted (SIGINT/SIGTERM): removals in flight finished, the rest were not
     attempted; the report lists both`;
