import type { MergedFs } from '../layers/merge.js';
import type { OsInfo } from '../types.js';
import { endOfLife } from './eol.js';
import { OS_RELEASE_PATHS, parseOsRelease } from './os-release.js';

/** Reads the OS from os-release; undefined for images without one (scratch, distroless static). */
export function detectOs(fs: MergedFs, now: Date): OsInfo | undefined {
  for (const path of OS_RELEASE_PATHS) {
    const file = fs.read(path);
    if (file === undefined) continue;

    const fields = parseOsRelease(file.data.toString('utf8'));
    const family = fields.get('ID')?.toLowerCase();
    if (family === undefined || family === '') continue;

    const version = fields.get('VERSION_ID') ?? '';
    const name = fields.get('PRETTY_NAME') ?? fields.get('NAME') ?? family;
    return judgeRelease({ family, name, version }, now);
  }
  return undefined;
}

/** An OS release without its EOL verdict, which depends on the time it is judged at. */
export type OsRelease = Omit<OsInfo, 'eol'>;

/**
 * The release with its EOL verdict at `now`: none for a release without VERSION_ID or missing
 * from the table. Cached inventories store the release only and are judged again on each use.
 */
export function judgeRelease(release: OsRelease, now: Date): OsInfo {
  const { family, name, version } = release;
  const eol = version === '' ? undefined : endOfLife(family, version, now);
  return eol === undefined ? { family, name, version } : { family, name, version, eol };
}
