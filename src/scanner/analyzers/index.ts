import type { Analyzer } from './analyzer.js';
import { apkAnalyzer } from './apk.js';
import { dpkgAnalyzer } from './dpkg.js';
import { npmAnalyzer } from './npm.js';
import { pythonAnalyzer } from './python.js';
import { rpmAnalyzer } from './rpm/analyzer.js';

export type { Analyzer, AnalyzerContext } from './analyzer.js';

export const DEFAULT_ANALYZERS: readonly Analyzer[] = [
  dpkgAnalyzer,
  apkAnalyzer,
  rpmAnalyzer,
  npmAnalyzer,
  pythonAnalyzer,
];
