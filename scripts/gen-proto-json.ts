// Writes src/runtime/*.proto.json, the descriptors the runtime clients load, from the .proto files
// beside them. Run after editing a .proto: npx tsx scripts/gen-proto-json.ts
// (src/runtime/proto-descriptor.test.ts fails while a descriptor is stale).
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { format, resolveConfig } from 'prettier';

import {
  descriptorPathOf,
  protoDescriptor,
  protoFilesIn,
} from '../src/runtime/proto-descriptor.js';

const dir = join(import.meta.dirname, '..', 'src', 'runtime');
for (const proto of protoFilesIn(dir)) {
  const path = descriptorPathOf(proto);
  // Formatted as `prettier --check .` expects, so regenerating never fails the lint.
  const options = { ...(await resolveConfig(path)), filepath: path };
  await writeFile(path, await format(JSON.stringify(protoDescriptor(proto)), options));
  process.stdout.write(`wrote ${path}\n`);
}
