import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { connectRuntime } from '../../src/runtime/cri-client.js';
import { RuntimeError, RuntimeIncompatibleError } from '../../src/runtime/errors.js';
import { startTestNode, type TestNode } from '../harness/index.js';

let node: TestNode;

before(async () => {
  node = await startTestNode();
});

after(async () => {
  await node.stop();
});

describe('CRI client against a real containerd', () => {
  test('Version names containerd and CRI v1', async () => {
    const version = await node.runtime.version();
    assert.equal(version.runtimeName, 'containerd');
    assert.equal(version.runtimeApiVersion, 'v1');
    assert.match(version.runtimeVersion, /^\d+\.\d+/);
  });

  test('ListImages shows a multi-tag image as one entry with all its tags', async () => {
    const image = await node.seedImage({
      tags: ['registry.eraser.test/multi:a', 'registry.eraser.test/other:b', 'busybox:1.36'],
      seed: 'multi',
    });

    const entries = (await node.runtime.listImages()).filter((i) => i.id === image.id);
    assert.equal(entries.length, 1);
    assert.deepEqual([...(entries[0]?.repoTags ?? [])].sort(), [
      'docker.io/library/busybox:1.36',
      'registry.eraser.test/multi:a',
      'registry.eraser.test/other:b',
    ]);
    assert.ok((entries[0]?.size ?? 0) > 0);
  });

  test('ImageStatus finds an image by tag and by ID, and is undefined when missing', async () => {
    const image = await node.seedImage({ tags: ['registry.eraser.test/status:1'], seed: 'st' });

    assert.equal((await node.runtime.imageStatus('registry.eraser.test/status:1'))?.id, image.id);
    assert.equal((await node.runtime.imageStatus(image.id))?.id, image.id);
    assert.equal(await node.runtime.imageStatus('registry.eraser.test/status:missing'), undefined);
    assert.equal(await node.runtime.imageStatus(`sha256:${'0'.repeat(64)}`), undefined);
  });

  test('RemoveImage by one tag removes the image with every tag', async () => {
    const image = await node.seedImage({
      tags: ['registry.eraser.test/rm:one', 'registry.eraser.test/rm:two'],
      seed: 'rm',
    });

    await node.runtime.removeImage('registry.eraser.test/rm:one');

    assert.equal(await node.runtime.imageStatus('registry.eraser.test/rm:two'), undefined);
    assert.equal(await node.runtime.imageStatus(image.id), undefined);
    const ids = (await node.runtime.listImages()).map((i) => i.id);
    assert.equal(ids.includes(image.id), false);
  });

  test('RemoveImage of an image that is not there succeeds', async () => {
    await node.runtime.removeImage('registry.eraser.test/never:there');
  });

  test('lists running and exited containers with the image ID as imageRef', async () => {
    const image = await node.seedImage({ tags: ['registry.eraser.test/run:1'], seed: 'run' });
    const running = await node.runContainer('registry.eraser.test/run:1', { state: 'running' });
    const exited = await node.runContainer(image.id, { state: 'exited' });

    const containers = await node.runtime.listContainers();
    const byId = new Map(containers.map((c) => [c.id, c]));
    assert.equal(byId.get(running.id)?.state, 'running');
    assert.equal(byId.get(running.id)?.image, 'registry.eraser.test/run:1');
    assert.equal(byId.get(running.id)?.imageRef, image.id);
    assert.equal(byId.get(exited.id)?.state, 'exited');
    assert.equal(byId.get(exited.id)?.imageRef, image.id);
    assert.equal(byId.get(exited.id)?.podSandboxId, running.podSandboxId);
  });

  test('RemoveImage does not refuse an image a running container uses', async () => {
    const image = await node.seedImage({ tags: ['registry.eraser.test/inuse:1'], seed: 'inuse' });
    const running = await node.runContainer(image.reference, { state: 'running' });

    await node.runtime.removeImage(image.reference);

    assert.equal(await node.runtime.imageStatus(image.id), undefined);
    assert.equal((await node.runtime.containerStatus(running.id)).state, 'running');
  });

  test('listSandboxes reports each pod with the sandbox image it runs', async () => {
    const pod = await node.runPod({ name: 'sandbox-image', namespace: 'team-a' });
    const pause = await node.runtime.imageStatus(node.sandboxImage);

    const sandbox = (await node.runtime.listSandboxes()).find((s) => s.id === pod.id);
    assert.deepEqual(sandbox, {
      id: pod.id,
      name: 'sandbox-image',
      namespace: 'team-a',
      state: 'ready',
      image: node.sandboxImage,
      imageIds: [pause?.id],
    });
    assert.equal(await node.runtime.configuredSandboxImage(), node.sandboxImage);
  });

  test('listing sandboxes again asks for no status and still names the image', async () => {
    const pod = await node.runPod({ name: 'sandbox-cached', namespace: 'team-b' });
    await node.runtime.listSandboxes();
    const runtime = node.runtime;
    const original = runtime.podSandboxStatus.bind(runtime);
    let statusCalls = 0;
    runtime.podSandboxStatus = (...args) => {
      statusCalls += 1;
      return original(...args);
    };
    try {
      const sandbox = (await runtime.listSandboxes()).find((s) => s.id === pod.id);
      assert.equal(sandbox?.image, node.sandboxImage);
      assert.equal(statusCalls, 0);
    } finally {
      runtime.podSandboxStatus = original;
    }
  });

  test('pins the sandbox image exactly when the runtime can (containerd >= 1.7)', async () => {
    const { runtimeVersion } = await node.runtime.version();
    const [major = 0, minor = 0] = runtimeVersion.split(/[.~-]/).map(Number);
    const supportsPinning = major > 1 || (major === 1 && minor >= 7);

    const pause = await node.runtime.imageStatus(node.sandboxImage);
    assert.equal(pause?.pinned, supportsPinning);
  });

  test('pulls an image by digest from the local registry; it has no tag', async () => {
    const pulled = await node.seedImageViaRegistry({ seed: 'by-digest' });

    assert.equal(pulled.imageRef, pulled.id);
    const status = await node.runtime.imageStatus(pulled.pushed.digestReference);
    assert.ok(status !== undefined);
    assert.equal(status.id, pulled.id);
    assert.deepEqual(status.repoTags, []);
    assert.deepEqual(status.repoDigests, [pulled.pushed.digestReference]);
  });

  test('a pull of an unknown tag fails with a typed runtime error', async () => {
    const registry = await node.registry();
    await assert.rejects(
      node.pull(`${registry.host}/nothing/here:1`),
      (err: unknown) => err instanceof RuntimeError && err.code === 'RUNTIME_NOT_FOUND',
    );
  });

  test("containerd's own ttrpc socket is refused as RUNTIME_NOT_CRI", async () => {
    await assert.rejects(
      connectRuntime(`${node.containerd.socketPath}.ttrpc`, { timeoutMs: 500 }),
      (err: unknown) => err instanceof RuntimeIncompatibleError && err.code === 'RUNTIME_NOT_CRI',
    );
  });

  test('ImageFsInfo reports the snapshotter folder inside the sandbox', async () => {
    const filesystems = await node.runtime.imageFsInfo();
    assert.ok(filesystems.some((fs) => fs.mountpoint.startsWith(node.containerd.dir)));
  });
});
