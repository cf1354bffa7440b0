import type { Package, ScanWarning } from '../scanner/types.js';
import type { ImageResult, InventoryReport } from './inventory-run.js';
import type { SourceDescription } from './inventory-targets.js';
import { printable } from '../text/printable.js';

/** The report as JSON: stable field names, one object per image, failures included. */
export function inventoryJson(report: InventoryReport): string {
  const images = report.images.map((result) =>
    result.status === 'failed'
      ? result
      : {
          status: result.status,
          image: result.image,
          ...result.facts,
          ...(result.inventory.os === undefined ? {} : { os: result.inventory.os }),
          packages: result.inventory.packages,
          layers: result.inventory.layers,
          warnings: result.inventory.warnings,
        },
  );
  return `${JSON.stringify({ ...report, images }, null, 2)}\n`;
}

function describeSource(source: SourceDescription): string {
  switch (source.kind) {
    case 'containerd':
      return `containerd ${source.endpoint} (namespace ${source.namespace})`;
    case 'oci-layout':
      return `OCI layout ${source.path}`;
    case 'docker-archive':
      return `docker archive ${source.path}`;
  }
}

function columns(rows: readonly (readonly string[])[]): string[] {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  }
  return rows.map((row) =>
    row
      .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd(),
  );
}

function packageRow(p: Package): string[] {
  const source = p.sourceName === undefined ? '' : p.sourceName;
  return [p.ecosystem, p.name, p.version, source, p.path].map(printable);
}

/** A warning with the path and layer its message does not already name. */
function warningLine(w: ScanWarning): string {
  const where = [
    ...(w.path === undefined || w.message.includes(w.path) ? [] : [`path ${w.path}`]),
    ...(w.layer === undefined || w.message.includes(w.layer) ? [] : [`layer ${w.layer}`]),
  ];
  const suffix = where.length === 0 ? '' : ` (${where.join(', ')})`;
  return `  warning ${w.code}: ${w.message}${suffix}`;
}

function imageSection(result: ImageResult): string[] {
  if (result.status === 'failed') {
    return [`IMAGE ${result.image}`, `  FAILED ${result.error.code}: ${result.error.message}`, ''];
  }

  const { facts, inventory } = result;
  const os = inventory.os === undefined ? 'OS unknown' : inventory.os.name;
  const eol = inventory.os?.eol?.pastEol === true ? ` (end of life ${inventory.os.eol.date})` : '';
  const header = `IMAGE ${result.image}  ${facts.id.slice(0, 19)}  ${facts.platform ?? ''}`;
  const sorted = [...inventory.packages].sort(
    (a, b) => a.ecosystem.localeCompare(b.ecosystem) || a.name.localeCompare(b.name),
  );
  const table = columns([['TYPE', 'NAME', 'VERSION', 'SOURCE', 'PATH'], ...sorted.map(packageRow)]);
  const warnings = inventory.warnings.map(warningLine);
  return [header.trimEnd(), `  ${os}${eol}`, ...table.map((line) => `  ${line}`), ...warnings, ''];
}

/** The report as text for a terminal: one section per image, then the totals. */
export function inventoryTable(report: InventoryReport): string {
  const { totals } = report;
  const lines = [
    `Images from ${describeSource(report.source)}, platform ${report.platform}`,
    '',
    ...report.images.flatMap(imageSection),
    `${count(totals.images, 'image')}: ${totals.inventoried} inventoried, ` +
      `${totals.failed} failed, ${count(totals.packages, 'package')}`,
  ];
  // Cells were made safe before their widths were measured; every line is made safe again so
  // that no image text (names, OS, warnings, errors) reaches the terminal raw.
  return `${lines.map(printable).join('\n')}\n`;
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
