import { errorMessage } from '../errors.js';
import { ScanError } from './errors.js';
import type { ImageSource } from './types.js';

const DIGEST = /^sha256:[0-9a-f]{64}$/;

/**
 * The layer diff IDs from an image config (OCI image spec, config `rootfs.diff_ids`), checked
 * against the layer count. Undefined when there is no config: layers are then not cross-checked.
 */
export function configDiffIds(image: ImageSource): string[] | undefined {
  if (image.config === undefined) return undefined;
  const config = decode(image);
  const rootfs = (config as { rootfs?: unknown }).rootfs;
  const diffIds = (rootfs as { diff_ids?: unknown } | undefined)?.diff_ids;

  if (
    !Array.isArray(diffIds) ||
    !diffIds.every((id) => typeof id === 'string' && DIGEST.test(id))
  ) {
    throw configError(image, 'rootfs.diff_ids is not a list of sha256 digests');
  }
  if (diffIds.length !== image.layers.length) {
    const counts = `${diffIds.length} diff IDs for ${image.layers.length} layers`;
    throw configError(image, `config lists ${counts}`);
  }
  return diffIds as string[];
}

function decode(image: ImageSource): object {
  const { config } = image;
  let value: unknown = config;
  if (typeof config === 'string' || config instanceof Uint8Array) {
    try {
      value = JSON.parse(
        typeof config === 'string' ? config : Buffer.from(config).toString('utf8'),
      );
    } catch (err: unknown) {
      throw configError(image, `config is not JSON: ${errorMessage(err)}`);
    }
  }
  if (typeof value !== 'object' || value === null)
    throw configError(image, 'config is not an object');
  return value;
}

function configError(image: ImageSource, problem: string): ScanError {
  return new ScanError('SCAN_BAD_CONFIG', `image ${image.name}: ${problem}`, { image: image.name });
}
