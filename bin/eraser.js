#!/usr/bin/env node
// The installed CLI runs the compiled code (npm run build); from a checkout without a build,
// use `node --import tsx src/cli/entry.ts`.
import '../dist/cli/entry.js';
