import {
  compileExclusions,
  loadExclusionDir,
  mergeExclusionLists,
  type ExclusionList,
} from '../images/exclusions.js';

/** Command-line patterns first, then each folder in the order given. */
export async function loadExclusions(
  patterns: readonly string[],
  dirs: readonly string[],
): Promise<ExclusionList> {
  const lists = [compileExclusions(patterns, 'command line')];
  for (const dir of dirs) lists.push(await loadExclusionDir(dir));
  return mergeExclusionLists(lists);
}
