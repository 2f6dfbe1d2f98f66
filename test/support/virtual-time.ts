/**
 * Virtual time for tests of code that takes `now` and `sleep`: sleeping registers a timer,
 * and `run` moves the clock to the next timer whenever everything else is waiting. Minutes
 * of platform time pass in milliseconds, and concurrent sleepers see one consistent clock.
 */
export function virtualTime(start = 1_000_000) {
  let t = start;
  let timers: { at: number; resolve: () => void }[] = [];
  const now = () => t;
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      timers.push({ at: t + Math.max(0, ms), resolve });
    });
  const settle = async () => {
    for (let i = 0; i < 5; i++) await new Promise((r) => setTimeout(r, 0));
  };
  /** Runs until `work` settles; throws if nothing is left to wait for and it still has not. */
  async function run<T>(work: Promise<T>): Promise<T> {
    let done = false;
    work.then(
      () => (done = true),
      () => (done = true),
    );
    for (let idle = 0; !done; ) {
      await settle();
      if (done) break;
      const next = timers.sort((a, b) => a.at - b.at).shift();
      if (!next) {
        if (++idle > 50) throw new Error("virtual time: stuck with no timer left");
        continue;
      }
      idle = 0;
      t = Math.max(t, next.at);
      next.resolve();
    }
    return work;
  }
  /** Forgets pending timers (their sleepers never wake): for the end of a test. */
  const clear = () => {
    timers = [];
  };
  return { now, sleep, run, clear };
}
