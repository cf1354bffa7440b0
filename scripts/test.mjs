#!/usr/bin/env node
// Runs every *.test.ts under src/ and test/ with node's own test runner. Node 20's `--test`
// takes no globs, so the file list is built here; extra arguments (file paths or
// --test-name-pattern) pass through.
import { spawnSync } from 'node:child_process';
import process from 'node:process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function findTests(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...findTests(path));
    else if (name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

const args = process.argv.slice(2);
const files = args.some((a) => a.endsWith('.ts'))
  ? []
  : [...findTests('src'), ...findTests('test')];
const result = spawnSync(
  process.execPath,
  [
    '--import',
    'tsx',
    '--import',
    './test/setup/fast-check.ts',
    '--test',
    '--test-concurrency=2',
    ...args,
    ...files.sort(),
  ],
  { stdio: 'inherit' },
);
process.exit(result.status ?? 1);
