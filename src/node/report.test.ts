import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { computeTotals, type Decision, type RunReport } from './decision.js';
import { formatBytes, reportJson, reportTable } from './report.js';

const decisions: Decision[] = [
  {
    outcome: 'in-use',
    reason: 'used by container web (running)',
    entries: ['*'],
    imageId: 'sha256:' + '1'.repeat(64),
    tags: ['docker.io/library/nginx:1.27'],
    digests: [],
    size: 2048,
  },
  {
    outcome: 'removed',
    reason: 'unused',
    entries: ['*'],
    imageId: 'sha256:' + '2'.repeat(64),
    tags: ['docker.io/library/alpine:3.20', 'docker.io/library/alpine:latest'],
    digests: [],
    size: 3 * 1024 * 1024,
    removedTags: ['docker.io/library/alpine:3.20', 'docker.io/library/alpine:latest'],
  },
  {
    outcome: 'not-present',
    reason: 'no image matches',
    entries: ['busybox'],
    tags: [],
    digests: [],
  },
];

function report(dryRun: boolean): RunReport {
  return {
    endpoint: 'unix:///tmp/c.sock',
    runtime: 'containerd 1.6.20',
    dryRun,
    startedAt: '2026-01-01T00:00:00.000Z',
    finishedAt: '2026-01-01T00:00:01.000Z',
    decisions,
    totals: computeTotals(2, decisions),
  };
}

describe('report', () => {
  test('the table lists removals first, every tag, and the bytes reclaimed', () => {
    const lines = reportTable(report(false)).split('\n');
    assert.match(lines[1] ?? '', /^removed\s+docker\.io\/library\/alpine:3\.20, .*alpine:latest/);
    assert.match(lines[2] ?? '', /^in-use .*used by container web/);
    assert.match(lines[3] ?? '', /^not-present\s+busybox/);
    assert.match(
      lines.at(-2) ?? '',
      /removed 1, would remove 0, kept 1, failed 0, not present 1, .* 3\.0 MiB reclaimed/,
    );
  });

  test('a dry run says nothing was removed and counts reclaimable bytes', () => {
    const dry = { ...report(true), decisions: [], totals: computeTotals(0, []) };
    assert.match(reportTable(dry), /dry run, nothing removed/);
    assert.match(reportTable(dry), /0 B reclaimable/);
  });

  test('the JSON report round-trips every decision', () => {
    const parsed = JSON.parse(reportJson(report(false))) as RunReport;
    assert.deepEqual(parsed.decisions, decisions);
    assert.deepEqual([parsed.totals.kept, parsed.totals.notPresent], [1, 1]);
  });

  test('a table of 200,000 decisions renders (no argument-spread limit)', () => {
    const many: Decision[] = Array.from({ length: 200_000 }, (_, i) => ({
      outcome: 'not-present',
      reason: 'no image matches',
      entries: [`example.test/img:${i}`],
      tags: [],
      digests: [],
    }));
    const big = { ...report(true), decisions: many, totals: computeTotals(0, many) };
    assert.match(reportTable(big), /example\.test\/img:199999/);
  });

  test('byte counts use binary units', () => {
    assert.deepEqual([0, 1023, 1024, 1536, 5 * 1024 ** 3].map(formatBytes), [
      '0 B',
      '1023 B',
      '1.0 KiB',
      '1.5 KiB',
      '5.0 GiB',
    ]);
  });

  test('a container name with escape sequences is shown escaped in the table', () => {
    const hostile: Decision = {
      outcome: 'in-use',
      reason: 'used by container \u001b[2Jx (running)',
      entries: ['*'],
      tags: ['docker.io/library/nginx:1.27'],
      digests: [],
    };
    const table = reportTable({ ...report(false), decisions: [hostile] });
    assert.equal(table.includes('\u001b'), false);
    assert.ok(table.includes('container \\u001b[2Jx'), table);
  });
});
