import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import fc from 'fast-check';

import {
  bestPlatformIndex,
  formatPlatform,
  nodePlatform,
  normalizePlatform,
  parsePlatform,
  platformRank,
} from './platform.js';
import type { Platform } from './types.js';

const p = (text: string): Platform => parsePlatform(text);

describe('nodePlatform', () => {
  const cases: [arch: string, os: string, arm: unknown, expected: string][] = [
    ['x64', 'linux', undefined, 'linux/amd64'],
    ['arm64', 'linux', undefined, 'linux/arm64'],
    ['arm', 'linux', '6', 'linux/arm/v6'],
    ['arm', 'linux', undefined, 'linux/arm/v7'],
    ['ia32', 'linux', undefined, 'linux/386'],
    ['s390x', 'linux', undefined, 'linux/s390x'],
    ['x64', 'win32', undefined, 'windows/amd64'],
  ];
  for (const [arch, os, arm, expected] of cases) {
    test(`maps Node's ${os}/${arch} (arm_version ${String(arm)}) to ${expected}`, () => {
      assert.equal(formatPlatform(nodePlatform(arch, os, arm)), expected);
    });
  }
});

describe('normalizePlatform', () => {
  const cases: [input: Platform, expected: string][] = [
    [{ os: 'Linux', architecture: 'x86_64' }, 'linux/amd64'],
    [{ os: 'linux', architecture: 'amd64', variant: 'v1' }, 'linux/amd64'],
    [{ os: 'linux', architecture: 'aarch64' }, 'linux/arm64'],
    [{ os: 'linux', architecture: 'arm64', variant: 'v8' }, 'linux/arm64'],
    [{ os: 'linux', architecture: 'arm64', variant: '8' }, 'linux/arm64'],
    [{ os: 'linux', architecture: 'arm' }, 'linux/arm/v7'],
    [{ os: 'linux', architecture: 'armhf' }, 'linux/arm/v7'],
    [{ os: 'linux', architecture: 'armel' }, 'linux/arm/v6'],
    [{ os: 'linux', architecture: 'arm', variant: '5' }, 'linux/arm/v5'],
    [{ os: 'linux', architecture: 'i386' }, 'linux/386'],
    [{ os: 'macos', architecture: 'arm64' }, 'darwin/arm64'],
    [{ os: 'linux', architecture: 'constructor' }, 'linux/constructor'],
    [{ os: 'linux', architecture: '__proto__', variant: 'v1' }, 'linux/__proto__/v1'],
  ];
  for (const [input, expected] of cases) {
    test(`treats ${JSON.stringify(input)} as ${expected}`, () => {
      assert.equal(formatPlatform(normalizePlatform(input)), expected);
    });
  }

  test('is idempotent for any platform', () => {
    const part = fc.stringMatching(/^[a-zA-Z0-9_]{1,8}$/);
    const platform = fc.record(
      { os: part, architecture: part, variant: part },
      { requiredKeys: ['os', 'architecture'] },
    );
    fc.assert(
      fc.property(platform, (input) => {
        const once = normalizePlatform(input);
        assert.deepEqual(normalizePlatform(once), once);
      }),
    );
  });
});

describe('parsePlatform', () => {
  test('reads os/arch and os/arch/variant', () => {
    assert.deepEqual(parsePlatform('linux/arm/v6'), {
      os: 'linux',
      architecture: 'arm',
      variant: 'v6',
    });
    assert.deepEqual(parsePlatform('linux/amd64'), { os: 'linux', architecture: 'amd64' });
  });

  for (const bad of ['', 'linux', 'linux/', '/amd64', 'linux/arm/v7/x', 'linux/am d64']) {
    test(`refuses ${JSON.stringify(bad)} with PLATFORM_INVALID`, () => {
      assert.throws(() => parsePlatform(bad), { code: 'PLATFORM_INVALID' });
    });
  }
});

describe('platformRank and bestPlatformIndex', () => {
  const cases: [want: string, have: string, rank: number | undefined][] = [
    ['linux/amd64', 'linux/amd64', 0],
    ['linux/amd64', 'linux/arm64', undefined],
    ['linux/amd64', 'windows/amd64', undefined],
    ['linux/arm64', 'linux/arm64/v8', 0],
    ['linux/arm/v7', 'linux/arm/v7', 0],
    ['linux/arm/v7', 'linux/arm/v6', 1],
    ['linux/arm/v7', 'linux/arm/v5', 2],
    ['linux/arm/v6', 'linux/arm/v7', undefined],
    ['linux/arm/constructor', 'linux/arm/v7', undefined],
    ['linux/arm/__proto__', 'linux/arm/__proto__', 0],
  ];
  for (const [want, have, rank] of cases) {
    test(`a ${want} node ranks ${have} as ${String(rank)}`, () => {
      assert.equal(platformRank(p(want), p(have)), rank);
    });
  }

  test('picks the exact platform over an older compatible variant, whatever the order', () => {
    const candidates = [p('linux/arm/v6'), p('linux/amd64'), p('linux/arm/v7')];
    assert.equal(bestPlatformIndex(p('linux/arm/v7'), candidates), 2);
  });

  test('takes the first of equal matches, as containerd does', () => {
    assert.equal(bestPlatformIndex(p('linux/amd64'), [p('linux/amd64'), p('linux/amd64')]), 0);
  });

  test('uses an entry without a platform only when nothing names a matching one', () => {
    assert.equal(bestPlatformIndex(p('linux/amd64'), [undefined, p('linux/amd64')]), 1);
    assert.equal(bestPlatformIndex(p('linux/amd64'), [p('linux/arm64'), undefined]), 1);
  });

  test('ranks any pair of platforms without throwing, Object member names included', () => {
    const part = fc.oneof(
      fc.stringMatching(/^[a-zA-Z0-9_]{1,8}$/),
      fc.constantFrom('v7', '__proto__', 'constructor', 'toString', 'valueOf'),
    );
    const platform = fc.record(
      { os: fc.constant('linux'), architecture: fc.oneof(fc.constant('arm'), part), variant: part },
      { requiredKeys: ['os', 'architecture'] },
    );
    fc.assert(
      fc.property(platform, platform, (want, have) => {
        const rank = platformRank(want, have);
        assert.ok(rank === undefined || (Number.isInteger(rank) && rank >= 0), String(rank));
      }),
    );
  });

  test('finds nothing when no entry can run on the node', () => {
    assert.equal(
      bestPlatformIndex(p('linux/amd64'), [p('linux/arm64'), p('linux/s390x')]),
      undefined,
    );
  });
});
