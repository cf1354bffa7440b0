import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { runCli } from './run-cli.js';

/** `eraser manager` refuses unusable options before it touches any cluster. */
describe('eraser manager options', () => {
  const quiet = ['--health-addr=127.0.0.1:0', '--metrics-addr=127.0.0.1:0'];

  test('without a kubeconfig and outside a pod there is no cluster to guess: exit 2', async () => {
    const result = await runCli(['manager', ...quiet], {
      KUBECONFIG: '',
      KUBERNETES_SERVICE_HOST: '',
    });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /kubeconfig file, or running in a pod/);
  });

  test('an unreadable kubeconfig is named in the error: exit 2', async () => {
    const result = await runCli(['manager', ...quiet, '--kubeconfig=/nonexistent/kubeconfig']);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /\/nonexistent\/kubeconfig/);
  });

  test('a malformed duration is refused with what was expected', async () => {
    const result = await runCli(['manager', '--pod-start-timeout=soon']);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /expected a positive Go duration/);
  });
});
