import { printable } from '../text/printable.js';
import { OUTCOME_ORDER, type Decision, type RunReport } from './decision.js';

/** The report as pretty JSON, for scripts and for the worker pod's log. */
export function reportJson(report: RunReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

/** The report as a table a person reads: one row per decision, then totals. */
export function reportTable(report: RunReport): string {
  const rows = [...report.decisions]
    .sort((a, b) => OUTCOME_ORDER.indexOf(a.outcome) - OUTCOME_ORDER.indexOf(b.outcome))
    .map((d) => [
      d.outcome,
      imageLabel(d),
      d.size === undefined ? '' : formatBytes(d.size),
      d.reason,
    ])
    .map((row) => row.map(printable));
  const header = ['OUTCOME', 'IMAGE', 'SIZE', 'WHY'];
  const lines = renderColumns([header, ...rows]);
  const t = report.totals;
  const mode = report.dryRun ? 'dry run, nothing removed' : 'removal';
  const bytes = report.dryRun
    ? `${formatBytes(t.bytesReclaimable)} reclaimable`
    : `${formatBytes(t.bytesReclaimed)} reclaimed`;
  const interrupted = t.interrupted > 0 ? `, interrupted ${t.interrupted}` : '';
  lines.push(
    '',
    printable(`${report.endpoint} (${report.runtime}), ${mode}`),
    `${t.images} image${t.images === 1 ? '' : 's'} on node; removed ${t.removed}, ` +
      `would remove ${t.wouldRemove}, kept ${t.kept}, failed ${t.failed}, ` +
      `not present ${t.notPresent}, invalid ${t.invalid}${interrupted}; ${bytes}`,
  );
  return `${lines.join('\n')}\n`;
}

function imageLabel(d: Decision): string {
  const names = d.tags.length > 0 ? d.tags : d.digests.map(shortDigest);
  const id = d.imageId ? d.imageId.slice(7, 19) : '';
  if (names.length === 0) return id ? id : d.entries.join(', ');
  return id ? `${names.join(', ')} [${id}]` : names.join(', ');
}

/** `repo@sha256:<64 hex>` shortened to 12 hex digits: the table is for reading, JSON is exact. */
function shortDigest(ref: string): string {
  return ref.replace(/@(sha\d+):([0-9a-f]{12})[0-9a-f]+$/, '@$1:$2…');
}

function renderColumns(rows: readonly (readonly string[])[]): string[] {
  // A reduce, not Math.max(...): a list of 100k+ entries would overflow the argument stack.
  const widths =
    rows[0]?.map((_, col) => rows.reduce((w, r) => Math.max(w, (r[col] ?? '').length), 0)) ?? [];
  return rows.map((r) =>
    r
      .map((cell, col) => (col === r.length - 1 ? cell : cell.padEnd(widths[col] ?? 0)))
      .join('  ')
      .trimEnd(),
  );
}

/** Bytes in binary units with one decimal, e.g. `12.5 MiB`. */
export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${n} B` : `${value.toFixed(1)} ${units[unit] ?? ''}`;
}
