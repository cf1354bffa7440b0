/**
 * Build-time half of the proto loading: parses a .proto file (the source of truth) into the JSON
 * descriptor that proto.ts loads at run time. The worker never imports this module, so it never
 * loads protobufjs' .proto parser; scripts/gen-proto-json.ts writes the descriptors and
 * proto-descriptor.test.ts fails when one no longer matches its .proto.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

import protobuf from 'protobufjs';

export { descriptorPathOf } from './proto.js';

/** Every .proto file in a folder, sorted, joined to the folder's path. */
export function protoFilesIn(dir: string): string[] {
  return readdirSync(dir)
    .filter((name) => name.endsWith('.proto'))
    .sort()
    .map((name) => join(dir, name));
}

/**
 * The descriptor of one .proto file as a plain object. Field names are camelCased here, at
 * parse time, as @grpc/proto-loader does with `keepCase: false`, so the decoded messages have
 * the same shape as before the descriptors existed. Comments are left out: they change nothing
 * on the wire.
 */
export function protoDescriptor(protoFile: string): protobuf.INamespace {
  const root = new protobuf.Root().loadSync(protoFile, { keepCase: false });
  // Resolving checks every type reference now, at generation, instead of on the first call.
  root.resolveAll();
  return root.toJSON({ keepComments: false });
}
