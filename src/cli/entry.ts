import { main } from './main.js';

// A reader that stops early (`eraser run -o json | head`) is not an error of ours.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') throw err;
  process.exit(process.exitCode ?? 0);
});

// A closed stderr (`2>&1 | head`) only loses messages: the run and its exit code go on.
process.stderr.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') throw err;
});

// The exit code is set, not forced, so pending log writes drain first.
process.exitCode = await main(process.argv);
