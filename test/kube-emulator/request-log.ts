/** Every request the emulator served, for tests that assert on traffic (e.g. "no relist"). */

import type { Verb } from './types.js';

export interface LoggedRequest {
  method: string;
  path: string;
  /** The raw query string without `?`. */
  query: string;
  /** Absent for discovery and unknown paths. */
  verb?: Verb;
  /** Resource key, with `/status` for the subresource: `pods`, `pods/status`. */
  resource?: string;
  namespace?: string;
  name?: string;
  status: number;
}

export class RequestLog {
  private readonly list: LoggedRequest[] = [];

  record(entry: LoggedRequest): void {
    this.list.push(entry);
  }

  /** All requests so far, oldest first. */
  get entries(): readonly LoggedRequest[] {
    return this.list;
  }

  /** How many requests match; either filter may be omitted. */
  count(resource?: string, verb?: Verb): number {
    return this.list.filter(
      (e) =>
        (resource === undefined || e.resource === resource) &&
        (verb === undefined || e.verb === verb),
    ).length;
  }

  /** Request counts per resource and verb: `{ pods: { list: 1, watch: 2 } }`. */
  counts(): Record<string, Partial<Record<Verb, number>>> {
    const out: Record<string, Partial<Record<Verb, number>>> = {};
    for (const e of this.list) {
      if (e.resource === undefined || e.verb === undefined) continue;
      const perVerb = (out[e.resource] ??= {});
      perVerb[e.verb] = (perVerb[e.verb] ?? 0) + 1;
    }
    return out;
  }

  clear(): void {
    this.list.length = 0;
  }
}
