import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';

import { cgroupDirs } from './cleanup.js';
import {
  CRI_NAMESPACE,
  mountsUnder,
  sandboxProcesses,
  startTestNode,
  type TestNode,
} from './index.js';

interface Footprint {
  readonly dir: string;
  readonly registryDir: string;
  readonly processes: number[];
  readonly mounts: number;
  readonly shimSockets: string[];
  readonly cgroups: string[];
}

async function shimSockets(node: TestNode): Promise<string[]> {
  const taskDir = join(
    node.containerd.dir,
    'state',
    'io.containerd.runtime.v2.task',
    CRI_NAMESPACE,
  );
  const ids = await readdir(taskDir);
  return ids.map((id) => {
    const key = join(node.containerd.socketPath, CRI_NAMESPACE, id);
    return join('/run/containerd/s', createHash('sha256').update(key).digest('hex'));
  });
}

function match(node: TestNode, registryPid: number) {
  return {
    cmdlineMarkers: [node.containerd.dir],
    cgroupToken: node.containerd.cgroupParent,
    pids: [node.containerd.pid, registryPid],
  };
}

/** A node with a running container, an exited one, and a pulled image; what it occupies. */
async function busyNode(): Promise<{ node: TestNode; registryPid: number; before: Footprint }> {
  const node = await startTestNode();
  const image = await node.seedImage({ tags: ['registry.eraser.test/teardown:1'], seed: 'td' });
  await node.runContainer(image.reference, { state: 'running' });
  await node.runContainer(image.reference, { state: 'exited' });
  await node.seedImageViaRegistry({ seed: 'td-registry' });
  const registry = await node.registry();

  const before: Footprint = {
    dir: node.containerd.dir,
    registryDir: registry.dir,
    processes: await sandboxProcesses(match(node, registry.pid)),
    mounts: (await mountsUnder(node.containerd.dir)).length,
    shimSockets: await shimSockets(node),
    cgroups: (await cgroupDirs(node.containerd.cgroupParent)).filter((d) => existsSync(d)),
  };
  return { node, registryPid: registry.pid, before };
}

async function assertNothingLeft(node: TestNode, registryPid: number, before: Footprint) {
  assert.deepEqual(await sandboxProcesses(match(node, registryPid)), []);
  assert.deepEqual(await mountsUnder(before.dir), []);
  assert.equal(existsSync(before.dir), false, 'sandbox folder deleted');
  assert.equal(existsSync(before.registryDir), false, 'registry folder deleted');
  assert.deepEqual(
    before.shimSockets.filter((s) => existsSync(s)),
    [],
  );
  assert.deepEqual(
    before.cgroups.filter((d) => existsSync(d)),
    [],
  );
}

describe('test-bed teardown', () => {
  test('leaves no process, mount, socket, cgroup or folder behind', async () => {
    const { node, registryPid, before } = await busyNode();
    // containerd, registry, shim, pause and sleep at least: the check below can see them.
    assert.ok(before.processes.length >= 5, `found ${before.processes.length} processes`);
    assert.ok(before.mounts >= 2, `found ${before.mounts} mounts`);
    assert.ok(
      before.shimSockets.some((s) => existsSync(s)),
      'shim socket present',
    );
    assert.ok(before.cgroups.length > 0, 'pod cgroups present');

    await node.stop();
    await node.stop();

    await assertNothingLeft(node, registryPid, before);
  });

  test('cleans up after containerd was killed while shims and containers ran', async () => {
    const { node, registryPid, before } = await busyNode();
    process.kill(node.containerd.pid, 'SIGKILL');

    await node.stop();

    await assertNothingLeft(node, registryPid, before);
  });
});
