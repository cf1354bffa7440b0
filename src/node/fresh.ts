/**
 * Coalesces concurrent requests for a fresh reading of some state. A caller always gets a
 * reading that *started after* it asked, so a safety re-check never rests on data collected
 * before the decision it guards; callers that ask while one reading is in flight share the next.
 */
export class FreshReader<T> {
  private inFlight: Promise<T> | undefined;
  private queued: Promise<T> | undefined;

  constructor(private readonly load: () => Promise<T>) {}

  read(): Promise<T> {
    if (this.inFlight === undefined) return this.start();
    this.queued ??= this.inFlight.then(noop, noop).then(() => {
      this.queued = undefined;
      return this.start();
    });
    return this.queued;
  }

  private start(): Promise<T> {
    const reading = this.load();
    this.inFlight = reading;
    const clear = () => {
      if (this.inFlight === reading) this.inFlight = undefined;
    };
    reading.then(clear, clear);
    return reading;
  }
}

function noop(): void {
  // The outcome of the earlier reading does not matter to the queued one.
}
