import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { createLogger } from '../../src/logger.js';
import { Bed, configYaml, testConfig, waitFor } from './bed.js';

/** Raw log lines as the manager writes them, before any JSON parser merges repeated keys. */
class RawLines {
  readonly lines: string[] = [];

  write(chunk: string): void {
    this.lines.push(...chunk.split('\n').filter((l) => l !== ''));
  }
}

function keyCount(line: string, key: string): number {
  return line.split(`"${key}":`).length - 1;
}

describe('manager log lines', () => {
  let bed: Bed;
  let dir: string;
  const raw = new RawLines();

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'e2e-logs-'));
    const configPath = join(dir, 'config.yaml');
    // `helth` is a near miss of a controller-runtime key eraser ignores: logged, not refused.
    const text = configYaml(testConfig()).replace(/^manager:\n/mu, 'helth: {}\nmanager:\n');
    await writeFile(configPath, text);
    bed = await Bed.start({ fakeNodes: [{ name: 'a', mode: 'instant-success' }] });
    const manager = await bed.startManager({ configPath, logger: createLogger('debug', raw) });
    await waitFor('the manager to run', 10_000, () => manager.isRunning() || undefined);
    await bed.applyImageList('logged', ['alpine:3.7']);
    await bed.listDone('logged', 1, 30_000);
  });

  after(async () => {
    await bed.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test('no line repeats a key, whichever component wrote it', () => {
    const components = new Set(
      raw.lines.map((l) => (JSON.parse(l) as { component?: string }).component),
    );
    assert.ok(components.has('manager') && components.has('config'), [...components].join());
    const repeated = raw.lines.filter((l) => keyCount(l, 'component') > 1);
    assert.deepEqual(repeated, []);
  });

  test('a misspelt config field is logged at error level with the field it likely meant', () => {
    const lines = raw.lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    const typo = lines.find((l) => l['field'] === 'helth');
    assert.equal(typo?.['level'], 50);
    assert.equal(typo['didYouMean'], 'health');
    assert.equal(typo['component'], 'config');
  });
});
