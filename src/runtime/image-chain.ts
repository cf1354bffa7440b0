/**
 * Layer chain IDs (OCI image spec, config `rootfs.diff_ids`): the name containerd gives the
 * committed snapshot of an image's layer stack. A container's root filesystem is a snapshot whose
 * parent is the chain ID of its image's top layer, which ties a running pod sandbox to the image
 * it was made from even after every name of that image is gone.
 */

import { createHash } from 'node:crypto';

import { EraserError } from '../errors.js';

const DIGEST = /^sha256:[0-9a-f]{64}$/;

/** An image's config could not tell its layer chain. */
export class ImageConfigError extends EraserError {
  constructor(imageId: string, expected: string) {
    super('IMAGE_CONFIG_INVALID', `config of image ${imageId} is unusable: ${expected}`, {
      imageId,
    });
  }
}

/** ChainID(L0) = DiffID(L0); ChainID(L0..Ln) = sha256(ChainID(L0..Ln-1) + " " + DiffID(Ln)). */
export function chainId(diffIds: readonly string[]): string | undefined {
  let chain: string | undefined;
  for (const diffId of diffIds) {
    chain =
      chain === undefined
        ? diffId
        : `sha256:${createHash('sha256').update(`${chain} ${diffId}`).digest('hex')}`;
  }
  return chain;
}

/**
 * The chain ID of an image's top layer, from its config blob. Undefined for an image without
 * layers (it has no snapshot to share); anything else malformed is an ImageConfigError.
 */
export function topChainIdFromConfig(imageId: string, config: Uint8Array): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(config).toString('utf8'));
  } catch {
    throw new ImageConfigError(imageId, 'expected a JSON object');
  }
  return chainId(diffIdsOf(imageId, parsed));
}

function diffIdsOf(imageId: string, config: unknown): string[] {
  const rootfs = isObject(config) ? config['rootfs'] : undefined;
  const diffIds = isObject(rootfs) ? rootfs['diff_ids'] : undefined;
  if (!Array.isArray(diffIds)) {
    throw new ImageConfigError(imageId, 'expected rootfs.diff_ids to be an array');
  }
  return diffIds.map((d: unknown, i) => {
    if (typeof d === 'string' && DIGEST.test(d)) return d;
    throw new ImageConfigError(imageId, `expected rootfs.diff_ids[${i}] to be a sha256 digest`);
  });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
