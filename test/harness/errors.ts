import { EraserError } from '../../src/errors.js';

/** A test-bed step failed (containerd did not start, an import failed, a tool is missing). */
export class HarnessError extends EraserError {}
