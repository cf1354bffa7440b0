import { execFile } from 'node:child_process';

import { HarnessError } from './errors.js';

export interface ExecResult {
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a tool to completion with a bound; a non-zero exit becomes a HarnessError with stderr. */
export function run(
  command: string,
  args: readonly string[],
  options: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<ExecResult> {
  const timeout = options.timeoutMs ?? 60_000;
  return new Promise((resolve, reject) => {
    execFile(
      command,
      args,
      {
        timeout,
        maxBuffer: 64 * 1024 * 1024,
        env: options.env ?? process.env,
        killSignal: 'SIGKILL',
      },
      (err, stdout, stderr) => {
        if (err === null) {
          resolve({ stdout, stderr });
          return;
        }
        reject(
          new HarnessError(
            'HARNESS_COMMAND_FAILED',
            `${command} ${args.join(' ')} failed: ${stderr.trim() || err.message}`,
            { command, args, stderr, timeoutMs: timeout },
            { cause: err },
          ),
        );
      },
    );
  });
}
