import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { Bed, configYaml, LEASE, NAMESPACE, testConfig, waitFor } from './bed.js';

const LEASES = 'leases.coordination.k8s.io';
/** A lease of a minute: only a lease handed back lets a standby lead within the test's bounds. */
const LONG_LEASE = { ...LEASE, leaseDurationMs: 60_000, renewDeadlineMs: 30_000 };

function holder(bed: Bed): string | undefined {
  const lease = bed.emulator.store.list(LEASES, NAMESPACE)[0];
  return (lease?.['spec'] as { holderIdentity?: string } | undefined)?.holderIdentity;
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    child.once('exit', (code) => {
      resolve(code);
    });
  });
}

describe('eraser manager stopped by a signal', () => {
  let bed: Bed;
  let dir: string;
  let configPath: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'e2e-shutdown-'));
    configPath = join(dir, 'config.yaml');
    await writeFile(configPath, configYaml(testConfig()));
    bed = await Bed.start({ fakeNodes: [{ name: 'a', mode: 'never-start' }] });
  });

  after(async () => {
    await bed.stop();
    await rm(dir, { recursive: true, force: true });
  });

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    test(`on ${signal} the leader hands its lease back, says so and exits 0`, async () => {
      const args = ['--lease-duration=60s', '--renew-deadline=30s', '--log-level=info'];
      const leader = await bed.spawnManager(dir, configPath, { args, stderr: 'pipe' });
      let stderr = '';
      leader.stderr?.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
      });
      await waitFor(
        'the child to lead',
        20_000,
        () => /controllers running/.test(stderr) || undefined,
      );
      const led = holder(bed);
      assert.ok(led !== undefined && led !== '', 'the lease names no holder');

      const standby = await bed.startManager({ leaderElection: LONG_LEASE });
      try {
        assert.equal(standby.isRunning(), false);
        await handOver(leader, signal, () => stderr);
        await waitFor('the standby to lead', 10_000, () => standby.isRunning() || undefined);
        assert.notEqual(holder(bed), led);
      } finally {
        await standby.stop();
      }
      assert.equal(holder(bed), '', 'a stopped in-process manager keeps the lease');
    });
  }
});

/** Signals the leader and checks how it ends: exit 0, lease released, then one last line. */
async function handOver(
  leader: ChildProcess,
  signal: NodeJS.Signals,
  stderr: () => string,
): Promise<void> {
  const code = exited(leader);
  leader.kill(signal);

  assert.equal(await code, 0);
  const lines = stderr()
    .split('\n')
    .filter((l) => l.trim() !== '');
  const stopped = lines.findIndex((l) => /"msg":"manager stopped"/.test(l));
  const released = lines.findIndex((l) => /"msg":"lease released"/.test(l));
  assert.ok(released >= 0, `no "lease released" line in:\n${stderr()}`);
  assert.equal(stopped, lines.length - 1, `"manager stopped" is not the last line:\n${stderr()}`);
  assert.match(lines[stopped] ?? '', new RegExp(`"signal":"${signal}"`));
}
