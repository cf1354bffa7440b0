import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { ManagerOptionError } from '../errors.js';
import { inClusterConnection, kubeconfigConnection } from './connection.js';

describe('cluster connection from a kubeconfig', () => {
  let dir: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kubeconfig-'));
  });

  after(() => rm(dir, { recursive: true, force: true }));

  async function write(text: string): Promise<string> {
    const path = join(dir, `config-${Math.random().toString(36).slice(2)}`);
    await writeFile(path, text);
    return path;
  }

  test('the current context picks its cluster and user; data fields are base64', async () => {
    await writeFile(join(dir, 'ca.pem'), 'CA FROM FILE');
    const path = await write(`
apiVersion: v1
kind: Config
current-context: b
clusters:
  - name: one
    cluster: { server: https://one.example:6443 }
  - name: two
    cluster:
      server: https://127.0.0.1:6443
      certificate-authority: ca.pem
contexts:
  - name: a
    context: { cluster: one, user: u1 }
  - name: b
    context: { cluster: two, user: u2 }
users:
  - name: u1
    user: { token: wrong }
  - name: u2
    user:
      token: right
      client-certificate-data: ${Buffer.from('CERT').toString('base64')}
      client-key-data: ${Buffer.from('KEY').toString('base64')}
`);
    assert.deepEqual(kubeconfigConnection(path), {
      server: 'https://127.0.0.1:6443',
      ca: 'CA FROM FILE',
      token: 'right',
      cert: 'CERT',
      key: 'KEY',
    });
  });

  test('exec plugins and auth providers are refused with the field named', async () => {
    const path = await write(`
current-context: x
clusters: [{ name: c, cluster: { server: https://k:443 } }]
contexts: [{ name: x, context: { cluster: c, user: u } }]
users: [{ name: u, user: { exec: { command: aws } } }]
`);
    assert.throws(
      () => kubeconfigConnection(path),
      (err: unknown) => {
        assert.ok(err instanceof ManagerOptionError);
        assert.match(err.message, /users\[\]\.user\.exec/);
        return true;
      },
    );
  });

  test('a kubeconfig without a usable current context is refused', async () => {
    for (const text of ['', 'current-context: nope', '[1, 2]', 'clusters: 7']) {
      const path = await write(text);
      assert.throws(() => kubeconfigConnection(path), ManagerOptionError, text);
    }
  });

  test('outside a pod, without a kubeconfig, there is no cluster to guess', () => {
    assert.throws(() => inClusterConnection({}), ManagerOptionError);
  });
});
