/**
 * End of standard security support per distribution release, as ISO dates: the last day of
 * updates without a support subscription or add-on. Checked on 2026-12-04, per family:
 *   - debian: the "eol-lts" column of distro-info-data 0.58+deb12u6
 *     (/usr/share/distro-info/debian.csv), which matches wiki.debian.org/LTS; Debian LTS is
 *     run by the Debian project itself, the paid ELTS that follows is not counted. Debian 4 and
 *     5 predate LTS: their "eol" column. Debian 14 (forky) is not released yet.
 *   - ubuntu: the "eol" column (end of standard support, before ESM) of the same
 *     distro-info-data (ubuntu.csv), what ubuntu-distro-info prints; interim releases included.
 *     endoflife.date differs by days to weeks for ten releases where Canonical's pages give a
 *     month only (22.04: 2027-04-01 there, 26.04: 2031-04-30; 14.04, 16.04, 19.10, 20.04,
 *     23.04, 23.10, 25.04, 25.10 by 1-28 days); distro-info-data is the distributions' own.
 *   - alpine: endoflife.date/alpine-linux, read from alpinelinux.org/releases ("End of
 *     support" of the main repository). 3.24 (mid 2026) is left out: no first-hand date found.
 *   - rhel: endoflife.date/rhel, from access.redhat.com/support/policy/updates/errata (end of
 *     Maintenance Support; the paid ELS add-on is not counted).
 *   - centos: endoflife.date/centos for CentOS Linux 6-8 and endoflife.date/centos-stream for
 *     Stream 9 and 10 (10: the estimate centos.org gives). Both use ID=centos; VERSION_ID 8 is
 *     CentOS Linux 8 (ended 2021-12-31) or Stream 8 (ended 2024-05-31), listed with the former.
 *   - rocky: endoflife.date/rocky-linux, from wiki.rockylinux.org/rocky/version.
 *   - almalinux: endoflife.date/almalinux, from almalinux.org release announcements.
 *   - ol (Oracle Linux): endoflife.date/oracle-linux, end of Premier Support from Oracle's
 *     lifetime support policy, which gives months only (last day of the month used).
 *   - amzn: aws.amazon.com/amazon-linux-2/faqs (AL2 ended 2026-06-30), the AL2023 FAQ
 *     (2029-06-30), and endoflife.date/amazon-linux for Amazon Linux 1 (2017.x, 2018.03).
 * A release older than the oldest one listed for its distribution is past EOL, and gets that
 * oldest release's date as the latest its support can have ended (no earlier release of these
 * families outlived the oldest one listed); any other release missing here gets no verdict.
 */
const EOL_DATES: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  debian: {
    '4': '2010-02-15',
    '5': '2012-02-06',
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
    '12.10': '2014-05-16',
    '13.04': '2014-01-27',
    '13.10': '2014-07-17',
    '14.04': '2019-04-25',
    '14.10': '2015-07-23',
    '15.04': '2016-02-04',
    '15.10': '2016-07-28',
    '16.04': '2021-04-30',
    '16.10': '2017-07-20',
    '17.04': '2018-01-13',
    '17.10': '2018-07-19',
    '18.04': '2023-05-31',
    '18.10': '2019-07-18',
    '19.04': '2020-01-23',
    '19.10': '2020-07-17',
    '20.04': '2025-05-29',
    '20.10': '2021-07-22',
    '21.04': '2022-01-20',
    '21.10': '2022-07-14',
    '22.04': '2027-06-01',
    '22.10': '2023-07-20',
    '23.04': '2024-01-25',
    '23.10': '2024-07-11',
    '24.04': '2029-05-31',
    '24.10': '2025-07-10',
    '25.04': '2026-01-15',
    '25.10': '2026-07-09',
    '26.04': '2031-05-29',
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
    '3.23': '2027-11-01',
  },
  rhel: {
    '6': '2020-11-30',
    '7': '2024-06-30',
    '8': '2029-05-31',
    '9': '2032-05-31',
    '10': '2035-05-31',
  },
  centos: {
    '6': '2020-11-30',
    '7': '2024-06-30',
    '8': '2021-12-31',
    '9': '2027-05-31',
    '10': '2030-01-01',
  },
  rocky: { '8': '2029-05-31', '9': '2032-05-31', '10': '2035-05-31' },
  almalinux: { '8': '2029-03-01', '9': '2032-05-31', '10': '2035-05-31' },
  ol: { '6': '2021-03-31', '7': '2024-12-31', '8': '2029-07-31', '9': '2032-06-30' },
  amzn: { '2': '2026-06-30', '2017': '2023-12-31', '2018': '2023-12-31', '2023': '2029-06-30' },
};

/**
 * The releases listed for a family. Family and version come from the image's os-release, so
 * a lookup must not reach Object.prototype (`ID=constructor`, `VERSION_ID=toString`).
 */
function listedFor(family: string): Readonly<Record<string, string>> | undefined {
  return Object.hasOwn(EOL_DATES, family) ? EOL_DATES[family] : undefined;
}

function listedDate(family: string, key: string): string | undefined {
  const listed = listedFor(family);
  return listed !== undefined && Object.hasOwn(listed, key) ? listed[key] : undefined;
}

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
  const listed = listedFor(family);
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
  const date = listedDate(family, key) ?? olderThanListed(family, key);
  if (date === undefined) return undefined;
  // The release is supported through its last day, so EOL starts the day after.
  const end = Date.parse(`${date}T23:59:59.999Z`);
  return { date, pastEol: now.getTime() > end };
}
