// Writes deploy/crds/*.yaml from the schemas in src/api/. Run: npx tsx scripts/gen-crds.ts
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { crdFileName, renderCrdYaml } from '../src/api/crd.js';
import { ALL_CRDS } from '../src/api/crds.js';

const dir = join(import.meta.dirname, '..', 'deploy', 'crds');
await mkdir(dir, { recursive: true });
for (const def of ALL_CRDS) {
  const path = join(dir, crdFileName(def));
  await writeFile(path, renderCrdYaml(def));
  process.stdout.write(`wrote ${path}\n`);
}
