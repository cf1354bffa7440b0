import type { MergedFs } from '../layers/merge.js';
import type { ScanLimits } from '../limits.js';
import type { OsInfo, Package, ScanWarning } from '../types.js';

export interface AnalyzerContext {
  readonly image: string;
  readonly fs: MergedFs;
  readonly os?: OsInfo;
  readonly limits: ScanLimits;
  readonly warn: (warning: ScanWarning) => void;
}

/**
 * A package inventory source. `wants` is asked for every regular file while layers stream, so it
 * must be cheap and decide from the path alone; `analyze` runs once on the merged tree.
 */
export interface Analyzer {
  readonly name: string;
  readonly wants: (path: string) => boolean;
  readonly analyze: (context: AnalyzerContext) => Package[];
}
