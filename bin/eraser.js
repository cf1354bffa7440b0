#!/usr/bin/env -S node --max-semi-space-size=1 --max-old-space-size=96
// The installed CLI runs the compiled code (npm run build). The V8 flags keep a short-lived
// worker's peak RSS close to what it holds (bench/remove.ts measures it): without them V8 lets
// garbage pile up to well past what a node-sized memory limit allows.
import process from 'node:process';
import { setFlagsFromString } from 'node:v8';

// `eraser run`, the worker pod, spends its time waiting on the runtime, so V8's optimising
// compilers buy it nothing, while their working memory and code cost ~8 MiB of its peak RSS
// (bench/remove.ts: 72 → 64 MiB). Interpreter and baseline code only, then; set here, before any
// of the CLI is compiled. The other commands (inventory decompresses and parses layers) keep them.
if (process.argv[2] === 'run') setFlagsFromString('--max-opt=1');

try {
  await import('../dist/cli/entry.js');
} catch (err) {
  if (err?.code !== 'ERR_MODULE_NOT_FOUND' || !String(err.message).includes('dist/cli/entry')) {
    throw err;
  }
  process.stderr.write('eraser: not built yet; run `npm ci && npm run build` first\n');
  process.exitCode = 1;
}
