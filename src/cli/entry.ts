import { main } from './main.js';

// The exit code is set, not forced, so pending log writes drain first.
process.exitCode = await main(process.argv);
