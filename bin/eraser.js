#!/usr/bin/env -S node --max-semi-space-size=1 --max-old-space-size=96
// The installed CLI runs the compiled code (npm run build). The V8 flags keep a short-lived
// worker's peak RSS close to what it holds (bench/remove.ts measures it): without them V8 lets
// garbage pile up to well past what a node-sized memory limit allows.
import '../dist/cli/entry.js';
