/**
 * Platforms as OCI indexes name them, normalised the way containerd 1.6 does (so `aarch64`,
 * `arm64/v8` and `arm64` are one platform), and the choice of the best manifest for a node.
 */
import { endianness } from 'node:os';

import { EraserError } from '../../errors.js';
import type { Platform } from './types.js';

// Tables are Maps: the names looked up come from flags and manifests, and a plain object would
// answer `constructor` or `__proto__` with a member of Object.prototype.

/** Node's `process.arch` → OCI architecture. */
const NODE_ARCHES: ReadonlyMap<string, string> = new Map([
  ['x64', 'amd64'],
  ['arm64', 'arm64'],
  ['arm', 'arm'],
  ['ia32', '386'],
  ['ppc64', endianness() === 'LE' ? 'ppc64le' : 'ppc64'],
  ['s390x', 's390x'],
  ['riscv64', 'riscv64'],
  ['loong64', 'loong64'],
  ['mips', 'mips'],
  ['mipsel', 'mipsle'],
]);

const NODE_OSES: ReadonlyMap<string, string> = new Map([['win32', 'windows']]);

/** The platform this process runs on: what containerd would pull for this node. */
export function nodePlatform(
  arch: string = process.arch,
  os: string = process.platform,
  armVersion: unknown = nodeArmVersion(),
): Platform {
  const architecture = NODE_ARCHES.get(arch) ?? arch;
  const base = { os: NODE_OSES.get(os) ?? os, architecture };
  if (architecture !== 'arm') return normalizePlatform(base);
  const version = typeof armVersion === 'string' || typeof armVersion === 'number' ? armVersion : 7;
  return normalizePlatform({ ...base, variant: `v${String(version)}` });
}

/** The ARM version Node was built for (`arm_version` in its build config; 32-bit ARM only). */
function nodeArmVersion(): unknown {
  const variables: Readonly<Record<string, unknown>> = process.config.variables;
  return variables['arm_version'];
}

const ARCH_ALIASES: ReadonlyMap<string, Platform> = new Map([
  ['i386', { os: '', architecture: '386' }],
  ['x86_64', { os: '', architecture: 'amd64' }],
  ['x86-64', { os: '', architecture: 'amd64' }],
  ['aarch64', { os: '', architecture: 'arm64' }],
  ['armhf', { os: '', architecture: 'arm', variant: 'v7' }],
  ['armel', { os: '', architecture: 'arm', variant: 'v6' }],
]);

/**
 * containerd's normalisation: lower case, architecture aliases, `arm` without a variant is v7,
 * and the variants a 64-bit architecture implies (`arm64/v8`, `amd64/v1`) are dropped.
 */
export function normalizePlatform(platform: Platform): Platform {
  const os = platform.os.toLowerCase() === 'macos' ? 'darwin' : platform.os.toLowerCase();
  const rawArch = platform.architecture.toLowerCase();
  const alias = ARCH_ALIASES.get(rawArch);
  const architecture = alias?.architecture ?? rawArch;
  let variant = (platform.variant ?? alias?.variant ?? '').toLowerCase();
  if (/^\d+$/.test(variant)) variant = `v${variant}`;

  if (architecture === 'arm' && variant === '') variant = 'v7';
  if (architecture === 'arm64' && variant === 'v8') variant = '';
  if (architecture === 'amd64' && variant === 'v1') variant = '';
  return variant === '' ? { os, architecture } : { os, architecture, variant };
}

/** Parses `os/architecture[/variant]`, e.g. `linux/arm64` or `linux/arm/v7`. */
export function parsePlatform(text: string): Platform {
  const parts = text.split('/');
  const [os, architecture, variant] = parts;
  const valid = /^[a-z0-9_.-]+$/i;
  if (
    os === undefined ||
    architecture === undefined ||
    parts.length > 3 ||
    !parts.every((part) => valid.test(part))
  ) {
    throw new EraserError(
      'PLATFORM_INVALID',
      `platform ${JSON.stringify(text)} is invalid: expected os/architecture[/variant], ` +
        'e.g. linux/amd64 or linux/arm/v7',
      { platform: text },
    );
  }
  return normalizePlatform(
    variant === undefined ? { os, architecture } : { os, architecture, variant },
  );
}

export function formatPlatform(platform: Platform): string {
  const base = `${platform.os}/${platform.architecture}`;
  return platform.variant === undefined ? base : `${base}/${platform.variant}`;
}

/** ARM variants a CPU of each variant also runs, best first (as containerd's platforms.Only). */
const ARM_COMPATIBLE: ReadonlyMap<string, readonly string[]> = new Map([
  ['v8', ['v8', 'v7', 'v6', 'v5']],
  ['v7', ['v7', 'v6', 'v5']],
  ['v6', ['v6', 'v5']],
  ['v5', ['v5']],
]);

/**
 * How well `have` suits a node of platform `want`: 0 is an exact match, higher numbers are
 * older compatible ARM variants, undefined means the image cannot run there.
 */
export function platformRank(want: Platform, have: Platform): number | undefined {
  const w = normalizePlatform(want);
  const h = normalizePlatform(have);
  if (w.os !== h.os || w.architecture !== h.architecture) return undefined;

  const wantVariant = w.variant ?? '';
  const haveVariant = h.variant ?? '';
  if (w.architecture === 'arm') {
    const rank = (ARM_COMPATIBLE.get(wantVariant) ?? [wantVariant]).indexOf(haveVariant);
    return rank < 0 ? undefined : rank;
  }
  return wantVariant === haveVariant ? 0 : undefined;
}

/**
 * The index of the best entry for `want`: the lowest rank, the first in index order among
 * equals (as containerd picks). Entries without a platform match anything, after every entry
 * that names a matching one.
 */
export function bestPlatformIndex(
  want: Platform,
  candidates: readonly (Platform | undefined)[],
): number | undefined {
  const NO_PLATFORM_RANK = 1_000;
  let best: { index: number; rank: number } | undefined;
  for (const [index, platform] of candidates.entries()) {
    const rank = platform === undefined ? NO_PLATFORM_RANK : platformRank(want, platform);
    if (rank !== undefined && (best === undefined || rank < best.rank)) best = { index, rank };
  }
  return best?.index;
}
