import { main } from './main.js';

// The process entry: the exit code is set, not forced, so pending log writes drain first.
process.exitCode = await main(process.argv);
