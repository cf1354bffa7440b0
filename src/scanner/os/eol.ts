/**
 * End of free security support per distribution release, as ISO dates.
 *
 * Source: endoflife.date (its "eol" column, or "extendedSupport" where the distribution itself
 * runs the extension, as Debian LTS does), cross-checked with the distributions' own pages:
 * wiki.debian.org/LTS, ubuntu.com/about/release-cycle, alpinelinux.org/releases,
 * access.redhat.com/support/policy/updates/errata, and aws.amazon.com/amazon-linux-2/faqs.
 * Checked 2025. A release older than the oldest one listed for its distribution is past EOL,
 * and gets that oldest release's date as the latest its support can have ended (releases end
 * in order); any other release missing here simply gets no EOL verdict.
 */
const EOL_DATES: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  debian: {
    '6': '2016-02-29',
    '7': '2018-05-31',
    '8': '2020-06-30',
    '9': '2022-06-30',
    '10': '2024-06-30',
    '11': '2026-08-31',
    '12': '2028-06-30',
    '13': '2030-06-30',
  },
  ubuntu: {
    '12.04': '2017-04-28',
    '14.04': '2019-04-25',
    '16.04': '2021-04-30',
    '18.04': '2023-05-31',
    '20.04': '2025-05-29',
    '22.04': '2027-04-01',
    '24.04': '2029-04-25',
  },
  alpine: {
    '3.10': '2021-05-01',
    '3.11': '2021-11-01',
    '3.12': '2022-05-01',
    '3.13': '2022-11-01',
    '3.14': '2023-05-01',
    '3.15': '2023-11-01',
    '3.16': '2024-05-23',
    '3.17': '2024-11-22',
    '3.18': '2025-05-09',
    '3.19': '2025-11-01',
    '3.20': '2026-04-01',
    '3.21': '2026-11-01',
    '3.22': '2027-05-01',
  },
  rhel: { '7': '2024-06-30', '8': '2029-05-31', '9': '2032-05-31' },
  centos: { '7': '2024-06-30', '8': '2021-12-31' },
  rocky: { '8': '2029-05-31', '9': '2032-05-31' },
  almalinux: { '8': '2029-03-01', '9': '2032-05-31' },
  amzn: { '2': '2026-06-30', '2023': '2029-06-30' },
};

/** The key a release is listed under: Debian and RHEL-likes by major, the rest by major.minor. */
function releaseKey(family: string, version: string): string {
  const parts = version.split('.');
  const major = parts[0] ?? '';
  if (family === 'ubuntu' || family === 'alpine') return parts.slice(0, 2).join('.');
  return major;
}

/** `major[.minor]` as numbers for ordering, or undefined when not numeric. */
function numeric(key: string): number[] | undefined {
  const parts = key.split('.');
  if (parts.some((part) => !/^\d{1,6}$/.test(part))) return undefined;
  return parts.map(Number);
}

function compare(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const diff = (a[i] ?? 0) - (b[i] ?? 0);
    if (diff !== 0) return diff;
  }
  return 0;
}

/** The oldest listed release's date, when `key` is older than every listed release. */
function olderThanListed(family: string, key: string): string | undefined {
  const listed = EOL_DATES[family];
  const wanted = numeric(key);
  if (listed === undefined || wanted === undefined) return undefined;
  let oldest: { version: number[]; date: string } | undefined;
  for (const [release, date] of Object.entries(listed)) {
    const version = numeric(release);
    if (version !== undefined && (oldest === undefined || compare(version, oldest.version) < 0)) {
      oldest = { version, date };
    }
  }
  return oldest !== undefined && compare(wanted, oldest.version) < 0 ? oldest.date : undefined;
}

/** EOL date of a release and whether `now` is past it; undefined when the table lacks it. */
export function endOfLife(
  family: string,
  version: string,
  now: Date,
): { date: string; pastEol: boolean } | undefined {
  const key = releaseKey(family, version);
  const date = EOL_DATES[family]?.[key] ?? olderThanListed(family, key);
  if (date === undefined) return undefined;
  // The release is supported through its last day, so EOL starts the day after.
  const end = Date.parse(`${date}T23:59:59.999Z`);
  return { date, pastEol: now.getTime() > end };
}
