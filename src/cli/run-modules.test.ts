import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';

/**
 * The worker pod's memory limit is sized from `eraser run`'s peak RSS, most of which is module
 * code: the modules only the manager, the scanner or the build need must stay out of its graph.
 */
const FORBIDDEN = [
  '/node_modules/@kubernetes/client-node/',
  '/node_modules/zod/',
  '/node_modules/yaml/',
  '/node_modules/better-sqlite3/',
  '/node_modules/@cyclonedx/',
  '/node_modules/prom-client/',
  '/node_modules/cron-parser/',
  '/node_modules/@grpc/proto-loader/',
  // protobufjs' .proto parser: the runtime reads pre-built JSON descriptors instead.
  '/node_modules/protobufjs/src/parse.js',
  '/src/controller/',
  '/src/scanner/',
];

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'eraser-modules-'));
after(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Every module, ES or CommonJS, that importing the given files loads, as file paths. */
function modulesLoadedBy(files: readonly string[]): string[] {
  const hooks = join(dir, 'hooks.mjs');
  writeFileSync(
    hooks,
    `import { writeSync } from 'node:fs';
export async function load(url, context, next) {
  if (url.startsWith('file:')) writeSync(1, 'module ' + url + '\\n');
  return next(url, context);
}`,
  );
  const imports = files.map((f) => `await import(${JSON.stringify(pathToFileURL(f).href)});`);
  const script = `import { register, createRequire } from 'node:module';
register(${JSON.stringify(pathToFileURL(hooks).href)});
${imports.join('\n')}
const cache = createRequire(import.meta.url).cache;
for (const path of Object.keys(cache)) console.log('module ' + path);`;
  const out = execFileSync(
    process.execPath,
    ['--import', 'tsx', '--input-type=module', '-e', script],
    {
      cwd: ROOT,
      encoding: 'utf8',
    },
  );
  const paths = out
    .split('\n')
    .filter((line) => line.startsWith('module '))
    .map((line) => line.slice('module '.length).replace(/^file:\/\//, ''));
  return [...new Set(paths)];
}

test('eraser run loads no module that only the manager, the scanner or the build needs', () => {
  const loaded = modulesLoadedBy([join(ROOT, 'src/cli/main.ts'), join(ROOT, 'src/cli/run.ts')]);
  // The list is real: the worker's own gRPC client is in it.
  assert.ok(loaded.some((path) => path.includes('/node_modules/@grpc/grpc-js/')));
  assert.ok(loaded.some((path) => path.endsWith('/src/runtime/proto.ts')));
  const found = loaded.filter((path) => FORBIDDEN.some((part) => path.includes(part)));
  assert.deepEqual(found, []);
});
