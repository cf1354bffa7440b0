import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import type { ContainerdClient, ContainerdImage } from '../../runtime/containerd-client.js';
import type { RuntimeImage } from '../../runtime/types.js';
import { ContainerdImageSource } from './containerd.js';

const ID = `sha256:1bb${'0'.repeat(61)}`;
const STORED: ContainerdImage = {
  name: 'docker.io/library/app:1',
  labels: {},
  target: {
    mediaType: 'application/vnd.oci.image.index.v1+json',
    digest: ID,
    size: 10,
    annotations: {},
  },
};

/** A containerd that knows one image by its tag, and a CRI that matches any ID prefix. */
function sourceWithCri(asked: string[]): ContainerdImageSource {
  const client = {
    endpoint: 'unix:///test.sock',
    namespace: 'k8s.io',
    getImage: (name: string) => Promise.resolve(name === STORED.name ? STORED : undefined),
    listImages: () => Promise.resolve([STORED]),
  } as unknown as ContainerdClient;
  const status: RuntimeImage = {
    id: ID,
    repoTags: [STORED.name],
    repoDigests: [],
    size: 1,
    pinned: false,
  };
  const imageStatus = (ref: string): Promise<RuntimeImage | undefined> => {
    asked.push(ref);
    const hex = ref.replace(/^sha256:/, '');
    return Promise.resolve(ID.slice(7).startsWith(hex) ? status : undefined);
  };
  return new ContainerdImageSource(client, { cri: { imageStatus } });
}

describe('ContainerdImageSource.find and the CRI', () => {
  test('a short hex word is a name, not an ID prefix: the CRI is not asked', async () => {
    const asked: string[] = [];
    await assert.rejects(sourceWithCri(asked).find('1bb'), { code: 'SOURCE_NOT_FOUND' });
    assert.deepEqual(asked, []);
  });

  test('an ID prefix of 12 hex digits or more, or a full ID, is found via the CRI', async () => {
    const asked: string[] = [];
    const source = sourceWithCri(asked);
    assert.equal((await source.find(ID.slice(7, 19))).name, STORED.name);
    assert.equal((await source.find(ID)).name, STORED.name);
    assert.deepEqual(asked, [ID.slice(7, 19), ID]);
  });
});
