import { fileURLToPath } from 'node:url';

import {
  loadSync,
  type MethodDefinition,
  type PackageDefinition,
  type ServiceDefinition,
} from '@grpc/proto-loader';

import { EraserError } from '../errors.js';

/**
 * Loads the CRI .proto files at run time. They sit beside this module both in src/ (run through
 * tsx) and in dist/ (the build copies them, see scripts/copy-assets.mjs), so a path relative to
 * import.meta.url finds them in either tree.
 */
const LOAD_OPTIONS = {
  keepCase: false,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
} as const;

export const CRI_V1_PROTO = fileURLToPath(new URL('./cri.proto', import.meta.url));
export const CRI_V1ALPHA2_PROTO = fileURLToPath(new URL('./cri-v1alpha2.proto', import.meta.url));

const cache = new Map<string, PackageDefinition>();

function loadPackage(file: string): PackageDefinition {
  let definition = cache.get(file);
  if (definition === undefined) {
    definition = loadSync(file, LOAD_OPTIONS);
    cache.set(file, definition);
  }
  return definition;
}

function isService(definition: unknown): definition is ServiceDefinition {
  return typeof definition === 'object' && definition !== null && !('format' in definition);
}

/** The definition of one service, e.g. `runtime.v1.ImageService`, from the given proto file. */
export function serviceDefinition(file: string, fullName: string): ServiceDefinition {
  const definition = loadPackage(file)[fullName];
  if (!isService(definition)) {
    throw new EraserError('RUNTIME_PROTO_INVALID', `${fullName} is not a service in ${file}`, {
      file,
      service: fullName,
    });
  }
  return definition;
}

export type UnaryMethod = MethodDefinition<object, object>;

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
