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
    const eol = version === '' ? undefined : endOfLife(family, version, now);
    return eol === undefined ? { family, name, version } : { family, name, version, eol };
  }
  return undefined;
}
