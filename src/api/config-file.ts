import { open } from 'node:fs/promises';

import { errorMessage } from '../errors.js';
import { ConfigError, parseEraserConfig, type LoadedConfig } from './config-parse.js';
import { MAX_CONFIG_BYTES } from './config-yaml.js';

/** Reads at most MAX_CONFIG_BYTES + 1 bytes, so a huge or endless file cannot exhaust memory. */
async function readBounded(path: string): Promise<string> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(MAX_CONFIG_BYTES + 1);
    let filled = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, null);
      if (bytesRead === 0 || filled + bytesRead === buffer.length)
        return buffer.toString('utf8', 0, filled + bytesRead);
      filled += bytesRead;
    }
  } finally {
    await handle.close();
  }
}

/** Reads a config file's text; an unreadable or oversized file is a `ConfigError`. */
export async function readConfigText(path: string): Promise<string> {
  let text: string;
  try {
    text = await readBounded(path);
  } catch (err: unknown) {
    const allowed = `a readable file (${errorMessage(err)})`;
    throw new ConfigError(path, [{ field: '', value: path, allowed }], { cause: err });
  }
  if (Buffer.byteLength(text, 'utf8') > MAX_CONFIG_BYTES) {
    const allowed = `a file of at most ${MAX_CONFIG_BYTES} bytes`;
    throw new ConfigError(path, [{ field: '', value: path, allowed }]);
  }
  return text;
}

/** Loads and validates an EraserConfig file (any supported version). */
export async function loadEraserConfig(path: string): Promise<LoadedConfig> {
  return parseEraserConfig(await readConfigText(path), path);
}
