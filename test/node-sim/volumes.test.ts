import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { translate } from './volumes.js';

const PATHS: [string, string][] = [
  ['/run/eraser.sh/cri.sock', '/tmp/ctrd-1/containerd.sock'],
  ['/run/eraser.sh/job', '/tmp/sim/vol/job'],
  ['/tmp', '/tmp/sim/vol/tmp'],
];

describe('node simulator path translation', () => {
  test('container paths in arguments become the host paths of their volumes', () => {
    assert.equal(
      translate('unix:///run/eraser.sh/cri.sock', PATHS),
      'unix:///tmp/ctrd-1/containerd.sock',
    );
    assert.equal(
      translate('/run/eraser.sh/job/images.json', PATHS),
      '/tmp/sim/vol/job/images.json',
    );
    assert.equal(translate('--dir=/tmp', PATHS), '--dir=/tmp/sim/vol/tmp');
  });

  test('a host path is not translated twice, and look-alike paths are left alone', () => {
    assert.equal(translate('/tmp', PATHS), '/tmp/sim/vol/tmp');
    assert.equal(translate('/tmpfoo', PATHS), '/tmpfoo');
    assert.equal(translate('/var/tmp/x', PATHS), '/var/tmp/x');
  });
});
