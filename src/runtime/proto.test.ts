import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { loadSync } from '@grpc/proto-loader';
import fc from 'fast-check';
import protobuf from 'protobufjs';

import { EraserError } from '../errors.js';
import { protoFilesIn } from './proto-descriptor.js';
import { descriptorPathOf, methodOf, serviceDefinition, type UnaryMethod } from './proto.js';

const RUNTIME_DIR = fileURLToPath(new URL('.', import.meta.url));

/** The options proto-loader parsed the .proto files with before the descriptors existed. */
const LOADER_OPTIONS = {
  keepCase: false,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
} as const;

function parsedRoot(proto: string): protobuf.Root {
  const root = new protobuf.Root().loadSync(proto, { keepCase: false });
  root.resolveAll();
  return root;
}

function servicesOf(ns: protobuf.NamespaceBase): protobuf.Service[] {
  return ns.nestedArray.flatMap((child) => {
    if (child instanceof protobuf.Service) return [child];
    return child instanceof protobuf.Namespace ? servicesOf(child) : [];
  });
}

function loaderMethod(proto: string, service: string, method: string): UnaryMethod {
  const definition = loadSync(proto, LOADER_OPTIONS)[service];
  const found = (definition as Record<string, UnaryMethod | undefined> | undefined)?.[method];
  assert.ok(found, `proto-loader has no ${service}.${method}`);
  return found;
}

const SCALARS: Readonly<Record<string, fc.Arbitrary<unknown>>> = {
  string: fc.string({ maxLength: 8 }),
  bool: fc.boolean(),
  bytes: fc.uint8Array({ maxLength: 8 }).map((a) => Buffer.from(a)),
  int32: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
  sint32: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
  uint32: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
  int64: fc.maxSafeInteger(),
  sint64: fc.maxSafeInteger(),
  uint64: fc.maxSafeNat(),
  double: fc.double({ noNaN: true }),
  float: fc.float({ noNaN: true }),
};

/** Values for one field, going at most `depth` messages deep. */
function fieldValue(field: protobuf.Field, depth: number): fc.Arbitrary<unknown> {
  const type = field.resolvedType;
  if (type instanceof protobuf.Enum) return fc.constantFrom(...Object.keys(type.values));
  if (type instanceof protobuf.Type) return depth > 0 ? message(type, depth - 1) : fc.constant({});
  const scalar = SCALARS[field.type];
  assert.ok(scalar, `no sample values for the ${field.type} field ${field.fullName}`);
  return scalar;
}

/** Plain objects for a message type, every field present or not. */
function message(type: protobuf.Type, depth: number): fc.Arbitrary<Record<string, unknown>> {
  const fields: Record<string, fc.Arbitrary<unknown>> = {};
  for (const field of type.fieldsArray) {
    const value = fieldValue(field, depth);
    if (field instanceof protobuf.MapField) {
      fields[field.name] = fc.dictionary(fc.string({ minLength: 1, maxLength: 4 }), value, {
        maxKeys: 2,
      });
    } else {
      fields[field.name] = field.repeated ? fc.array(value, { maxLength: 2 }) : value;
    }
  }
  return fc.record(fields, { requiredKeys: [] });
}

/** Outcome of a decode: the object, or that it threw (both sides must agree either way). */
function decoded(decode: (bytes: Buffer) => object, bytes: Buffer): unknown {
  try {
    return { value: decode(bytes) };
  } catch {
    return 'throws';
  }
}

for (const proto of protoFilesIn(RUNTIME_DIR)) {
  const name = proto.slice(RUNTIME_DIR.length);
  const methods = servicesOf(parsedRoot(proto)).flatMap((service) =>
    service.methodsArray.map((method) => ({ service: service.fullName.slice(1), method })),
  );

  describe(`services of ${name} from the descriptor`, () => {
    test('have the paths and streaming flags proto-loader gave them', () => {
      for (const { service, method } of methods) {
        const ours = methodOf(serviceDefinition(proto, service), method.name);
        const theirs = loaderMethod(proto, service, method.name);
        assert.equal(ours.path, theirs.path);
        assert.equal(ours.requestStream, theirs.requestStream);
        assert.equal(ours.responseStream, theirs.responseStream);
      }
    });

    test('encode and decode every request and response as proto-loader did', () => {
      const cases = fc.constantFrom(...methods).chain(({ service, method }) => {
        const type = method.resolvedRequestType;
        const reply = method.resolvedResponseType;
        assert.ok(type && reply);
        const pair = fc.tuple(message(type, 2), message(reply, 2));
        return pair.map(([request, response]) => ({ service, method, request, response }));
      });
      fc.assert(
        fc.property(cases, ({ service, method, request, response }) => {
          const ours = methodOf(serviceDefinition(proto, service), method.name);
          const theirs = loaderMethod(proto, service, method.name);
          const requestBytes = ours.requestSerialize(request);
          const responseBytes = ours.responseSerialize(response);
          assert.deepEqual(requestBytes, theirs.requestSerialize(request));
          assert.deepEqual(responseBytes, theirs.responseSerialize(response));
          const decode = ours.responseDeserialize;
          assert.deepEqual(decode(responseBytes), theirs.responseDeserialize(responseBytes));
          // The request's bytes read as a response: fields that do not fit, or a refusal.
          const mismatched = decoded(decode, requestBytes);
          assert.deepEqual(mismatched, decoded(theirs.responseDeserialize, requestBytes));
        }),
      );
    });

    test('decode hostile bytes as proto-loader did: the same object, or both refuse', () => {
      const cases = fc.tuple(fc.constantFrom(...methods), fc.uint8Array({ maxLength: 64 }));
      fc.assert(
        fc.property(cases, ([{ service, method }, raw]) => {
          const bytes = Buffer.from(raw);
          const ours = methodOf(serviceDefinition(proto, service), method.name);
          const theirs = loaderMethod(proto, service, method.name);
          assert.deepEqual(
            decoded(ours.responseDeserialize, bytes),
            decoded(theirs.responseDeserialize, bytes),
          );
        }),
      );
    });
  });
}

describe('serviceDefinition', () => {
  const dir = mkdtempSync(join(tmpdir(), 'eraser-proto-'));
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  const cri = join(RUNTIME_DIR, 'cri.proto');

  test('builds a service once and hands the same definition out again', () => {
    const first = serviceDefinition(cri, 'runtime.v1.ImageService');
    assert.equal(serviceDefinition(cri, 'runtime.v1.ImageService'), first);
  });

  test('refuses a name that is a message, not a service', () => {
    assert.throws(
      () => serviceDefinition(cri, 'runtime.v1.VersionRequest'),
      (err: unknown) => err instanceof EraserError && err.code === 'RUNTIME_PROTO_INVALID',
    );
  });

  test('refuses a method the service lacks', () => {
    const service = serviceDefinition(cri, 'runtime.v1.ImageService');
    assert.throws(() => methodOf(service, 'Nope'), /method Nope is missing/);
  });

  test('names the generator when a descriptor is missing', () => {
    const proto = join(dir, 'missing.proto');
    copyFileSync(cri, proto);
    assert.throws(
      () => serviceDefinition(proto, 'runtime.v1.ImageService'),
      (err: unknown) =>
        err instanceof EraserError &&
        err.code === 'RUNTIME_PROTO_INVALID' &&
        err.message.includes('scripts/gen-proto-json.ts'),
    );
  });

  test('refuses a descriptor that is not JSON', () => {
    const proto = join(dir, 'broken.proto');
    writeFileSync(descriptorPathOf(proto), '{"nested": ');
    assert.throws(
      () => serviceDefinition(proto, 'runtime.v1.ImageService'),
      (err: unknown) => err instanceof EraserError && err.code === 'RUNTIME_PROTO_INVALID',
    );
  });

  test('refuses an array where a request message belongs', () => {
    const remove = methodOf(serviceDefinition(cri, 'runtime.v1.ImageService'), 'RemoveImage');
    assert.throws(
      () => remove.requestSerialize([]),
      /cannot encode an array as runtime\.v1\.RemoveImageRequest/,
    );
  });
});
