/**
 * Property-test settings for every test process (loaded with `--import` by scripts/test.mjs).
 *
 * CI runs a fixed seed so that a green commit stays green: a counterexample found by chance in CI
 * would block a landing for a bug the change did not add. Exploration with fresh seeds and more
 * runs is `npm run test:fuzz`, and a failing seed replays with `FC_SEED=<seed>`.
 */

import process from 'node:process';

import fc from 'fast-check';

const CI_SEED = 20_261_204;

function envInt(name: string): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return undefined;
  const value = Number(raw);
  if (!Number.isSafeInteger(value)) throw new Error(`${name}=${raw} is not an integer`);
  return value;
}

const seed = envInt('FC_SEED') ?? (process.env['CI'] === 'true' ? CI_SEED : undefined);
const numRuns = envInt('FC_NUM_RUNS');

fc.configureGlobal({
  ...(seed === undefined ? {} : { seed }),
  ...(numRuns === undefined ? {} : { numRuns }),
});
