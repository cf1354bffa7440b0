#!/usr/bin/env node
// Copies the non-TypeScript files the runtime loads at run time (the JSON descriptors generated
// from the .proto files, and the .proto files they come from) from src/ to dist/, keeping their
// relative paths, so `import.meta.url`-relative lookups work in both trees.
import { copyFileSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import process from 'node:process';

const ASSET_EXTENSIONS = ['.proto', '.proto.json'];

function assetsUnder(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...assetsUnder(path));
    else if (ASSET_EXTENSIONS.some((ext) => name.endsWith(ext))) out.push(path);
  }
  return out;
}

for (const source of assetsUnder('src')) {
  const target = join('dist', relative('src', source));
  mkdirSync(dirname(target), { recursive: true });
  copyFileSync(source, target);
  process.stdout.write(`copied ${source} -> ${target}\n`);
}
