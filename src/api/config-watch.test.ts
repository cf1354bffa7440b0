import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';

import { createLogger } from '../logger.js';
import { ConfigError, watchConfig, type LoadedConfig } from './config.js';

const FILE = 'controller_manager_config.yaml';

function configText(level: string): string {
  return `apiVersion: eraser.sh/v1alpha3\nkind: EraserConfig\nmanager:\n  logLevel: ${level}\n`;
}

/** Lays out a directory the way the kubelet mounts a ConfigMap, and updates it the same way. */
class ConfigMapDir {
  private generation = 0;

  constructor(readonly dir: string) {}

  get path(): string {
    return join(this.dir, FILE);
  }

  async init(text: string): Promise<void> {
    await this.swap(text);
    await symlink(join('..data', FILE), this.path);
  }

  /** Writes a new timestamped folder and atomically repoints `..data` at it. */
  async swap(text: string): Promise<void> {
    this.generation += 1;
    const folder = `..gen_${this.generation}`;
    await mkdir(join(this.dir, folder));
    await writeFile(join(this.dir, folder, FILE), text);
    await symlink(folder, join(this.dir, '..data_tmp'));
    await rename(join(this.dir, '..data_tmp'), join(this.dir, '..data'));
    if (this.generation > 1)
      await rm(join(this.dir, `..gen_${this.generation - 1}`), { recursive: true });
  }
}

/** Log lines as parsed JSON, with a way to wait for the first line that matches. */
class LogCapture {
  readonly lines: Record<string, unknown>[] = [];
  private waiters: { match: (l: Record<string, unknown>) => boolean; resolve: () => void }[] = [];

  write(line: string): void {
    const parsed = JSON.parse(line) as Record<string, unknown>;
    this.lines.push(parsed);
    this.waiters = this.waiters.filter((w) => {
      if (w.match(parsed)) w.resolve();
      return !w.match(parsed);
    });
  }

  waitFor(match: (l: Record<string, unknown>) => boolean): Promise<void> {
    if (this.lines.some(match)) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ match, resolve }));
  }
}

describe('watchConfig', () => {
  let mount: ConfigMapDir;
  beforeEach(async () => {
    mount = new ConfigMapDir(await mkdtemp(join(tmpdir(), 'eraser-watch-')));
    await mount.init(configText('info'));
  });
  afterEach(async () => {
    await rm(mount.dir, { recursive: true, force: true });
  });

  test('reloads after a ConfigMap update swaps the ..data symlink', async () => {
    let changed: (c: LoadedConfig) => void = () => undefined;
    const next = new Promise<LoadedConfig>((resolve) => (changed = resolve));
    const watcher = await watchConfig(
      mount.path,
      (c) => {
        changed(c);
      },
      { debounceMs: 20 },
    );
    try {
      assert.equal(watcher.current().config.manager.logLevel, 'info');
      await mount.swap(configText('debug'));
      const loaded = await next;
      assert.equal(loaded.config.manager.logLevel, 'debug');
      assert.equal(watcher.current().config.manager.logLevel, 'debug');
    } finally {
      watcher.close();
    }
  });

  test('keeps the previous config and logs the error when the new one is invalid', async () => {
    const logs = new LogCapture();
    const seen: string[] = [];
    const watcher = await watchConfig(mount.path, (c) => seen.push(c.config.manager.logLevel), {
      debounceMs: 20,
      logger: createLogger('info', logs),
    });
    try {
      await mount.swap(configText('loud'));
      await logs.waitFor((l) => l['level'] === 50);
      assert.equal(watcher.current().config.manager.logLevel, 'info');
      assert.deepEqual(seen, []);
      const error = logs.lines.find((l) => l['level'] === 50);
      assert.match(JSON.stringify(error), /manager\.logLevel/u);

      await mount.swap(configText('warn'));
      await logs.waitFor((l) => l['msg'] === 'config reloaded');
      assert.deepEqual(seen, ['warn']);
    } finally {
      watcher.close();
    }
  });

  test('logs an unknown field at error level with the field it most likely meant', async () => {
    const logs = new LogCapture();
    await mount.swap(`helth: {}\n${configText('info')}`);
    const watcher = await watchConfig(mount.path, () => undefined, {
      logger: createLogger('info', logs),
    });
    watcher.close();
    const line = logs.lines.find((l) => l['field'] === 'helth');
    assert.equal(line?.['level'], 50);
    assert.equal(line['didYouMean'], 'health');
  });

  test('keeps the previous config when a reload misspells a section name', async () => {
    const logs = new LogCapture();
    const seen: boolean[] = [];
    const watcher = await watchConfig(
      mount.path,
      (c) => seen.push(c.config.components.collector.enabled),
      { debounceMs: 20, logger: createLogger('info', logs) },
    );
    try {
      const typo = 'components: {colector: {enabled: false}, scanner: {enabled: false}}\n';
      await mount.swap(`${configText('debug')}${typo}`);
      await logs.waitFor((l) => l['level'] === 50);
      const error = logs.lines.find((l) => l['level'] === 50);
      assert.equal(error?.['msg'], 'config reload rejected; keeping the previous config');
      assert.match(JSON.stringify(error), /components\.colector.*did you mean collector\?/u);
      assert.equal(watcher.current().config.manager.logLevel, 'info');
      assert.equal(watcher.current().config.components.scanner.enabled, true);
      assert.deepEqual(seen, []);

      await mount.swap(`${configText('debug')}${typo.replace('colector', 'collector')}`);
      await logs.waitFor((l) => l['msg'] === 'config reloaded');
      assert.deepEqual(seen, [false]);
    } finally {
      watcher.close();
    }
  });

  test('refuses to start on a misspelt section name, naming the key it likely meant', async () => {
    await mount.swap(`${configText('info')}  nodeFiltr: {type: include, selectors: [pool=a]}\n`);
    await assert.rejects(
      watchConfig(mount.path, () => undefined),
      (err: unknown) =>
        err instanceof ConfigError &&
        err.context['field'] === 'manager.nodeFiltr' &&
        /did you mean nodeFilter\?/u.test(err.message),
    );
  });

  test('refuses to start on an invalid config', async () => {
    await mount.swap(configText('loud'));
    await assert.rejects(
      watchConfig(mount.path, () => undefined),
      ConfigError,
    );
  });
});
