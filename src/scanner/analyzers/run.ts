import { errorMessage } from '../../errors.js';
import { ScanError } from '../errors.js';
import type { MergedFile } from '../layers/merge.js';
import type { Package } from '../types.js';
import type { AnalyzerContext } from './analyzer.js';

/**
 * Runs one parser on one file; a failure becomes a warning naming the image, layer and path,
 * and the file contributes no packages. Nothing a file contains can stop the whole scan.
 */
export function runParser(
  context: AnalyzerContext,
  file: MergedFile,
  parse: () => Package[],
): Package[] {
  try {
    return parse();
  } catch (err: unknown) {
    const code = err instanceof ScanError ? err.code : 'SCAN_PARSE';
    const where = `${file.path} in layer ${file.layer} of image ${context.image}`;
    const message = `${where}: ${errorMessage(err)}`;
    context.warn({ code, message, layer: file.layer, path: file.path });
    return [];
  }
}
