/**
 * End of free security support per distribution release, as ISO dates.
 *
 * Source: endoflife.date (its "eol" column, or "extendedSupport" where the distribution itself
 * runs the extension, as Debian LTS does), cross-checked with the distributions' own pages:
 * wiki.debian.org/LTS, ubuntu.com/about/release-cycle, alpinelinux.org/releases,
 * access.redhat.com/support/policy/updates/errata, and aws.amazon.com/amazon-linux-2/faqs.
 * Checked 2025; a release missing here simply gets no EOL verdict.
 */
const EOL_DATES: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  debian: {
    '8': '2020-06-30',
    '9': '2022-06-30',
    '10': '2024-06-30',
    '11': '2026-08-31',
    '12': '2028-06-30',
    '13': '2030-06-30',
  },
  ubuntu: {
    '16.04': '2021-04-30',
    '18.04': '2023-05-31',
    '20.04': '2025-05-29',
    '22.04': '2027-04-01',
    '24.04': '2029-04-25',
  },
  alpine: {
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

/** EOL date of a release and whether `now` is past it; undefined when the table lacks it. */
export function endOfLife(
  family: string,
  version: string,
  now: Date,
): { date: string; pastEol: boolean } | undefined {
  const date = EOL_DATES[family]?.[releaseKey(family, version)];
  if (date === undefined) return undefined;
  // The release is supported through its last day, so EOL starts the day after.
  const end = Date.parse(`${date}T23:59:59.999Z`);
  return { date, pastEol: now.getTime() > end };
}
