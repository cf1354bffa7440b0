import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { descriptorPathOf, protoDescriptor, protoFilesIn } from './proto-descriptor.js';

const RUNTIME_DIR = fileURLToPath(new URL('.', import.meta.url));
const REGENERATE = 'run: npx tsx scripts/gen-proto-json.ts';

test('the runtime folder has .proto files to describe', () => {
  assert.ok(protoFilesIn(RUNTIME_DIR).some((file) => file.endsWith('/cri.proto')));
});

for (const proto of protoFilesIn(RUNTIME_DIR)) {
  const name = proto.slice(RUNTIME_DIR.length);
  test(`the committed descriptor of ${name} matches the .proto file`, () => {
    const path = descriptorPathOf(proto);
    assert.ok(existsSync(path), `${path} is missing; ${REGENERATE}`);
    const committed: unknown = JSON.parse(readFileSync(path, 'utf8'));
    // Through JSON, as the generator writes it: toJSON leaves some prototypes unset.
    const fresh: unknown = JSON.parse(JSON.stringify(protoDescriptor(proto)));
    assert.deepEqual(committed, fresh, `${path} is stale; ${REGENERATE}`);
  });
}
