import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import type { MethodDefinition } from '@grpc/grpc-js';
// The light build reads JSON descriptors only: the worker never loads the .proto parser.
import protobuf from 'protobufjs/light.js';

import { EraserError } from '../errors.js';

/**
 * Loads service definitions from the JSON descriptors that scripts/gen-proto-json.ts writes from
 * the .proto files (the source of truth). Reading a descriptor instead of parsing the .proto, and
 * building only the services asked for, keeps the parser and proto-loader's reflection
 * descriptors out of a worker that sizes its memory limit by its peak RSS. The descriptors sit
 * beside this module in src/ (run through tsx) and in dist/ (the build copies them, see
 * scripts/copy-assets.mjs), so a path relative to import.meta.url finds them in either tree.
 */
export const CRI_V1_PROTO = fileURLToPath(new URL('./cri.proto', import.meta.url));
export const CRI_V1ALPHA2_PROTO = fileURLToPath(new URL('./cri-v1alpha2.proto', import.meta.url));

/** Decoded messages as proto-loader gave them: numbers for 64-bit ints, names for enums. */
const CONVERSION: protobuf.IConversionOptions = {
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
};

export type UnaryMethod = MethodDefinition<object, object>;

/** A service's methods by name; grpc-js' Server.addService takes it as is. */
export type ServiceDefinition = Readonly<Record<string, UnaryMethod>>;

/** Where the descriptor of a .proto file lives: beside it. */
export function descriptorPathOf(protoFile: string): string {
  return `${protoFile}.json`;
}

const roots = new Map<string, protobuf.Root>();
const services = new Map<string, ServiceDefinition>();

function readRoot(file: string): protobuf.Root {
  const path = descriptorPathOf(file);
  try {
    const root = protobuf.Root.fromJSON(JSON.parse(readFileSync(path, 'utf8')) as object);
    root.resolveAll();
    return root;
  } catch (err: unknown) {
    throw new EraserError(
      'RUNTIME_PROTO_INVALID',
      `cannot load ${path}, the descriptor of ${file}; regenerate it with ` +
        '`npx tsx scripts/gen-proto-json.ts` and rebuild',
      { file, descriptor: path },
      { cause: err },
    );
  }
}

function rootOf(file: string): protobuf.Root {
  let root = roots.get(file);
  if (root === undefined) {
    root = readRoot(file);
    roots.set(file, root);
  }
  return root;
}

function serializer(type: protobuf.Type): (value: object) => Buffer {
  return (value) => {
    // fromObject would read an array's indexes as field numbers: refuse it as proto-loader did.
    if (Array.isArray(value)) {
      const name = type.fullName.replace(/^\./, '');
      const message = `cannot encode an array as ${name}: expected an object of its fields`;
      throw new EraserError('RUNTIME_REQUEST_INVALID', message, { type: name });
    }
    const bytes = type.encode(type.fromObject(value)).finish();
    return Buffer.isBuffer(bytes)
      ? bytes
      : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  };
}

function deserializer(type: protobuf.Type): (bytes: Buffer) => object {
  return (bytes) => type.toObject(type.decode(bytes), CONVERSION);
}

function methodDefinition(service: string, method: protobuf.Method): UnaryMethod {
  // resolveAll() has run, so both message types are set.
  const request = method.resolvedRequestType as protobuf.Type;
  const response = method.resolvedResponseType as protobuf.Type;
  return {
    path: `/${service}/${method.name}`,
    requestStream: method.requestStream === true,
    responseStream: method.responseStream === true,
    requestSerialize: serializer(request),
    requestDeserialize: deserializer(request),
    responseSerialize: serializer(response),
    responseDeserialize: deserializer(response),
  };
}

function buildService(file: string, fullName: string): ServiceDefinition {
  const service = rootOf(file).lookup(fullName);
  if (!(service instanceof protobuf.Service)) {
    throw new EraserError('RUNTIME_PROTO_INVALID', `${fullName} is not a service in ${file}`, {
      file,
      service: fullName,
    });
  }
  const definition: Record<string, UnaryMethod> = {};
  for (const method of service.methodsArray) {
    definition[method.name] = methodDefinition(fullName, method);
  }
  return definition;
}

/** The definition of one service, e.g. `runtime.v1.ImageService`, from the given proto file. */
export function serviceDefinition(file: string, fullName: string): ServiceDefinition {
  const key = `${file}\n${fullName}`;
  let definition = services.get(key);
  if (definition === undefined) {
    definition = buildService(file, fullName);
    services.set(key, definition);
  }
  return definition;
}

/** One method of a service; throws when the proto lacks it, which is a bug in this repo. */
export function methodOf(service: ServiceDefinition, name: string): UnaryMethod {
  const method = service[name];
  if (method === undefined) {
    throw new EraserError('RUNTIME_PROTO_INVALID', `method ${name} is missing from the CRI proto`, {
      method: name,
    });
  }
  return method;
}

export const RUNTIME_SERVICE = 'runtime.v1.RuntimeService';
export const IMAGE_SERVICE = 'runtime.v1.ImageService';
export const RUNTIME_SERVICE_V1ALPHA2 = 'runtime.v1alpha2.RuntimeService';
