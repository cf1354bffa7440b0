import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import fc from 'fast-check';

import { MAX_SOCKET_PATH_BYTES, parseEndpoint } from './endpoint.js';
import { InvalidEndpointError, RuntimeError } from './errors.js';

describe('parseEndpoint', () => {
  const accepted: [string, string][] = [
    ['unix:///run/containerd/containerd.sock', '/run/containerd/containerd.sock'],
    ['unix:/run/crio/crio.sock', '/run/crio/crio.sock'],
    ['/run/crio/crio.sock', '/run/crio/crio.sock'],
    ['  unix:///tmp/x.sock  ', '/tmp/x.sock'],
    ['UNIX:///tmp/x.sock', '/tmp/x.sock'],
    ['unix:///tmp//a/../x.sock', '/tmp/x.sock'],
  ];
  for (const [input, socketPath] of accepted) {
    test(`accepts ${JSON.stringify(input)} as socket ${socketPath}`, () => {
      assert.deepEqual(parseEndpoint(input), { socketPath, endpoint: `unix://${socketPath}` });
    });
  }

  const refused: [string, RegExp][] = [
    ['', /empty/],
    ['   ', /empty/],
    ['tcp://127.0.0.1:10010', /scheme "tcp" is not supported/],
    ['http://localhost/run.sock', /scheme "http" is not supported/],
    ['npipe:////./pipe/containerd', /scheme "npipe"/],
    ['run/containerd.sock', /not absolute/],
    ['./containerd.sock', /not absolute/],
    ['unix://run/containerd.sock', /no host part/],
    ['unix://host/run/containerd.sock', /no host part/],
    ['unix:relative.sock', /not absolute/],
    ['unix:///', /directory/],
    ['/run/containerd/', /directory/],
    ['/run/containerd.sock\u0000x', /control characters/],
    ['/run/contain\nerd.sock', /control characters/],
    [`/${'a'.repeat(MAX_SOCKET_PATH_BYTES)}`, /longer than 107 bytes/],
  ];
  for (const [input, reason] of refused) {
    test(`refuses ${JSON.stringify(input).slice(0, 40)} with a typed error`, () => {
      assert.throws(
        () => parseEndpoint(input),
        (err: unknown) =>
          err instanceof InvalidEndpointError &&
          err instanceof RuntimeError &&
          err.code === 'RUNTIME_ENDPOINT_INVALID' &&
          err.context['endpoint'] === input &&
          reason.test(err.message),
      );
    });
  }

  test('either returns an absolute unix socket path or throws InvalidEndpointError', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (input) => {
        try {
          const parsed = parseEndpoint(input);
          assert.ok(parsed.socketPath.startsWith('/'));
          assert.equal(parsed.endpoint, `unix://${parsed.socketPath}`);
          assert.ok(Buffer.byteLength(parsed.socketPath) <= MAX_SOCKET_PATH_BYTES);
        } catch (err: unknown) {
          assert.ok(err instanceof InvalidEndpointError, String(err));
        }
      }),
      { numRuns: 2000 },
    );
  });

  test('round-trips: parsing the canonical endpoint gives the same endpoint', () => {
    const segment = fc.stringMatching(/^[a-zA-Z0-9._-]{1,12}$/).filter((s) => !/^\.+$/.test(s));
    fc.assert(
      fc.property(fc.array(segment, { minLength: 1, maxLength: 6 }), (segments) => {
        const once = parseEndpoint(`/${segments.join('/')}`);
        assert.deepEqual(parseEndpoint(once.endpoint), once);
      }),
    );
  });
});
