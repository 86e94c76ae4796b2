// Natural batching: requests that arrive while `concurrency` batches are running wait and go together in
// the next batch (up to maxBatch). An idle batcher runs a lone request at once, so batching adds no delay
// at low load and turns many small transactions into few large ones under load.
export type BatchOutcome<O> =
  | { ok: true; value: O }
  | { ok: false; error: unknown }
  | { ok: false; retry: true };

export interface RequestBatcherOptions<I, O> {
  maxBatch: number;
  concurrency: number;
  // Under load (a batch of at least a quarter of maxBatch has just finished), a batch that would start
  // with fewer than that waits up to this long for the callers just answered to send their next
  // requests. At low load (small batches) and when idle the batcher never waits. 0 turns it off.
  lingerMs?: number;
  // Returns one outcome per item, in order; `retry` puts the item back for the next batch.
  run: (items: I[]) => Promise<BatchOutcome<O>[]>;
  onBatch?: (size: number) => void;
}

interface Pending<I, O> {
  item: I;
  resolve: (value: O) => void;
  reject: (error: unknown) => void;
}

export function createRequestBatcher<I, O>(options: RequestBatcherOptions<I, O>) {
  const queue: Pending<I, O>[] = [];
  let running = 0;
  let lingering: ReturnType<typeof setTimeout> | undefined;
  const lingerMs = options.lingerMs ?? 0;
  const fewItems = Math.max(2, Math.ceil(options.maxBatch / 4));

  function pump(): void {
    if (lingering !== undefined && queue.length < options.maxBatch) return;
    clearTimeout(lingering);
    lingering = undefined;
    while (running < options.concurrency && queue.length > 0) {
      const batch = queue.splice(0, options.maxBatch);
      running += 1;
      options.onBatch?.(batch.length);
      options.run(batch.map((pending) => pending.item)).then(
        (outcomes) => {
          const settle: (() => void)[] = [];
          const retry: Pending<I, O>[] = [];
          batch.forEach((pending, i) => {
            const outcome = outcomes[i];
            if (!outcome)
              settle.push(() => pending.reject(new Error("batch returned no outcome for a request")));
            else if (outcome.ok) settle.push(() => pending.resolve(outcome.value));
            else if ("retry" in outcome) retry.push(pending);
            else settle.push(() => pending.reject(outcome.error));
          });
          queue.unshift(...retry);
          finish(batch.length, settle);
        },
        (error: unknown) =>
          finish(
            batch.length,
            batch.map((pending) => () => pending.reject(error)),
          ),
      );
    }
  }

  // The next batch goes to the database before this one's callers are answered: answering (encoding and
  // writing responses) then overlaps the next batch's first round trip instead of delaying it.
  function finish(finishedBatchSize: number, settle: (() => void)[]): void {
    running -= 1;
    if (lingerMs > 0 && running === 0 && finishedBatchSize >= fewItems && queue.length < fewItems) {
      lingering = setTimeout(() => {
        lingering = undefined;
        pump();
      }, lingerMs);
    } else {
      pump();
    }
    for (const answer of settle) answer();
  }

  return {
    submit(item: I): Promise<O> {
      return new Promise<O>((resolve, reject) => {
        queue.push({ item, resolve, reject });
        pump();
      });
    },
  };
}
