import { open, stat } from 'node:fs/promises';

import { errorMessage } from '../../errors.js';
import { ImageSourceError } from './errors.js';

export function errnoOf(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null || !('code' in err)) return undefined;
  return typeof err.code === 'string' ? err.code : undefined;
}

export function unreadable(what: string, err: unknown, context: Record<string, unknown>) {
  return new ImageSourceError(
    'SOURCE_UNREADABLE',
    `${what} cannot be read: ${errorMessage(err)}`,
    context,
    { cause: err },
  );
}

/**
 * Reads a small regular file whole. Refuses anything but a regular file (a FIFO or a device
 * would block or never end) and anything larger than `maxBytes`, before reading it.
 */
export async function readSmallFile(path: string, maxBytes: number, what: string): Promise<Buffer> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (err: unknown) {
    throw unreadable(what, err, { path, errno: errnoOf(err) });
  }

  try {
    const info = await handle.stat();
    if (!info.isFile()) throw notRegular(what, path);
    if (info.size > maxBytes) {
      throw new ImageSourceError(
        'SOURCE_TOO_LARGE',
        `${what} is ${info.size} bytes, more than the limit of ${maxBytes}`,
        { path, size: info.size, limit: maxBytes },
      );
    }
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}

function notRegular(what: string, path: string): ImageSourceError {
  return new ImageSourceError('SOURCE_UNREADABLE', `${what} is not a regular file`, { path });
}

/** Checks that `path` is a folder, with an error that names it. */
export async function checkDirectory(path: string, what: string): Promise<void> {
  let isDirectory: boolean;
  try {
    isDirectory = (await stat(path)).isDirectory();
  } catch (err: unknown) {
    throw unreadable(what, err, { path, errno: errnoOf(err) });
  }
  if (!isDirectory) {
    throw new ImageSourceError('SOURCE_UNREADABLE', `${what} is not a folder`, { path });
  }
}
