import { watch, type FSWatcher } from 'node:fs';
import { dirname } from 'node:path';

import { silentLogger, type Logger } from '../logger.js';
import { readConfigText } from './config-file.js';
import { parseEraserConfig, type LoadedConfig } from './config-parse.js';

export interface WatchConfigOptions {
  logger?: Logger;
  /** Quiet time after the last file event before re-reading; a ConfigMap swap fires several. */
  debounceMs?: number;
}

export interface ConfigWatcher {
  /** The config in force: the last one that loaded and validated. */
  current(): LoadedConfig;
  close(): void;
}

interface State {
  path: string;
  /** The text of the config in force, and of the last rejected one (not logged twice). */
  text: string;
  rejected?: string;
  loaded: LoadedConfig;
  log: Logger;
  onChange: (loaded: LoadedConfig) => void;
}

function logWarnings(log: Logger, loaded: LoadedConfig): void {
  for (const { field, message, level, suggestion } of loaded.warnings) {
    log[level](suggestion === undefined ? { field } : { field, didYouMean: suggestion }, message);
  }
}

function apply(state: State, text: string): void {
  let loaded: LoadedConfig;
  try {
    loaded = parseEraserConfig(text, state.path);
  } catch (err: unknown) {
    state.rejected = text;
    state.log.error({ err }, 'config reload rejected; keeping the previous config');
    return;
  }

  state.text = text;
  state.loaded = loaded;
  logWarnings(state.log, loaded);
  state.log.info({ version: loaded.config.sourceVersion }, 'config reloaded');
  try {
    state.onChange(loaded);
  } catch (err: unknown) {
    state.log.error({ err }, 'config change handler failed');
  }
}

async function reload(state: State): Promise<void> {
  let text: string;
  try {
    text = await readConfigText(state.path);
  } catch (err: unknown) {
    // Mid-swap the file can be briefly missing; the next event retries.
    state.log.warn({ err }, 'config unreadable; keeping the previous config');
    return;
  }
  if (text !== state.text && text !== state.rejected) apply(state, text);
}

/**
 * Loads the config at `path`, then reloads it whenever its directory changes. The directory is
 * watched, not the file: Kubernetes updates a mounted ConfigMap by swapping a `..data` symlink,
 * which a watch on the old file would never see. An invalid new config is logged and ignored;
 * `onChange` only ever receives a valid one. Throws `ConfigError` if the first load fails.
 */
export async function watchConfig(
  path: string,
  onChange: (loaded: LoadedConfig) => void,
  options: WatchConfigOptions = {},
): Promise<ConfigWatcher> {
  const log = (options.logger ?? silentLogger()).child({ component: 'config', file: path });
  const text = await readConfigText(path);
  const loaded = parseEraserConfig(text, path);
  const state: State = { path, text, loaded, log, onChange };
  logWarnings(log, loaded);

  let timer: NodeJS.Timeout | undefined;
  let queue = Promise.resolve();
  const schedule = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      queue = queue.then(() => reload(state));
    }, options.debounceMs ?? 250);
  };
  const watcher: FSWatcher = watch(dirname(path), schedule);
  watcher.on('error', (err) => {
    log.error({ err }, 'config watch failed; reloads stopped');
  });

  return {
    current: () => state.loaded,
    close: () => {
      clearTimeout(timer);
      watcher.close();
    },
  };
}
