// A timeout for Redis calls that does not fail a reply which arrived while the event loop was late.
//
// A timer that fires late because the event loop was busy finds the replies that came meanwhile still
// unread in their sockets (timers run before I/O in a loop iteration). Failing then would turn a stall
// into timeouts of healthy calls, each falling back to the database and adding load: so on expiry the
// check is deferred by setImmediate, which runs after the loop has read pending I/O.
export function withinTimeout<T>(work: Promise<T>, timeoutMs: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const timer = setTimeout(() => {
      setImmediate(() => {
        if (settled) return;
        settled = true;
        reject(new Error(`Redis did not answer within ${timeoutMs} ms`));
      });
    }, timeoutMs);
    work.then(
      (value) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}
