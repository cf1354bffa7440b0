import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { ManagerOptionError } from './errors.js';
import { parseListenAddress } from './http.js';

describe('listen addresses', () => {
  test('the forms operators write are understood', () => {
    assert.deepEqual(parseListenAddress('x', ':8081'), { host: '0.0.0.0', port: 8081 });
    assert.deepEqual(parseListenAddress('x', '127.0.0.1:0'), { host: '127.0.0.1', port: 0 });
    assert.deepEqual(parseListenAddress('x', '[::1]:9090'), { host: '::1', port: 9090 });
  });

  test('anything else is refused, naming the option', () => {
    for (const bad of ['8081', 'host', ':99999', ':', 'a:b:c', '']) {
      assert.throws(
        () => parseListenAddress('--health-addr', bad),
        (err: unknown) =>
          err instanceof ManagerOptionError && err.message.includes('--health-addr'),
        bad,
      );
    }
  });
});
