// Natural batching: requests that arrive while `concurrency` batches are running wait and go together in
// the next batch (up to maxBatch). An idle batcher runs a lone request at once, so batching adds no delay
// at low load and turns many small transactions into few large ones under load.
//
// With concurrency above 1, a batch started beside a running one takes only requests that share no
// conflict key with the running batches (for reserves: their skus and idempotency keys), and only when
// at least a quarter of maxBatch of them are waiting. Requests that would wait for a running batch's
// locks stay queued for a later batch instead, so one hot sku still goes through one large batch at a
// time, while spread traffic overlaps one batch's statements with the next one's.
//
// A caller may go (cancel, or its deadline pass) while its request waits: a request still queued leaves
// the queue and is never run; one in a running batch is answered at once with its stop reason, and the
// batch goes on for the others (what it does with a gone caller's request is run's business: the
// reserve batch skips it if it has not planned it yet). A batch's limits are its callers': it is
// cancelled only when every one of them has gone, and its deadline is the latest of theirs.
import { type CallLimits, stopReasonOf } from "@stockroom/errors";

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
  // Returns one outcome per item, in order; `retry` puts the item back for the next batch. `limits`
  // stop the batch once all its callers have gone (pass them to the transaction).
  run: (items: I[], limits: CallLimits) => Promise<BatchOutcome<O>[]>;
  onBatch?: (size: number) => void;
  // What an item locks; two items sharing a key never run in concurrent batches. Without it, any two
  // items may.
  conflictKeys?: (item: I) => readonly string[];
}

interface Pending<I, O> {
  item: I;
  limits: CallLimits | undefined;
  resolve: (value: O) => void;
  reject: (error: unknown) => void;
  // Set once the caller went and was answered: the batch's outcome for it is dropped.
  gone: boolean;
  // Told when the caller goes while its request is in a running batch.
  onGone?: (() => void) | undefined;
}

export function createRequestBatcher<I, O>(options: RequestBatcherOptions<I, O>) {
  const queue: Pending<I, O>[] = [];
  let running = 0;
  let lingering: ReturnType<typeof setTimeout> | undefined;
  const lingerMs = options.lingerMs ?? 0;
  const fewItems = Math.max(2, Math.ceil(options.maxBatch / 4));
  const conflictKeys = options.conflictKeys ?? (() => []);
  // Conflict keys of the running batches, with how many of their items hold each.
  const held = new Map<string, number>();

  // The next batch: the queue's head when nothing runs; beside running batches, the first maxBatch
  // items that conflict with none of them, if there are enough of those to be worth a transaction.
  function takeBatch(): Pending<I, O>[] {
    if (running === 0) return queue.splice(0, options.maxBatch);
    if (queue.length < fewItems) return [];
    const picked: number[] = [];
    for (let i = 0; i < queue.length && picked.length < options.maxBatch; i++) {
      if (!conflictKeys((queue[i] as Pending<I, O>).item).some((key) => held.has(key))) picked.push(i);
    }
    if (picked.length < fewItems) return [];
    const batch = picked.map((i) => queue[i] as Pending<I, O>);
    for (let p = picked.length - 1; p >= 0; p--) queue.splice(picked[p] as number, 1);
    return batch;
  }

  function hold(batch: Pending<I, O>[], delta: 1 | -1): void {
    for (const pending of batch) {
      for (const key of conflictKeys(pending.item)) {
        const count = (held.get(key) ?? 0) + delta;
        if (count === 0) held.delete(key);
        else held.set(key, count);
      }
    }
  }

  // Callers whose deadline passed with no signal to say so (a signal's abort removes them at once).
  function dropStopped(): void {
    for (let i = queue.length - 1; i >= 0; i--) {
      const pending = queue[i] as Pending<I, O>;
      const reason = stopReasonOf(pending.limits);
      if (reason === undefined) continue;
      queue.splice(i, 1);
      pending.gone = true;
      pending.reject(reason);
    }
  }

  function pump(): void {
    if (lingering !== undefined && queue.length < options.maxBatch) return;
    clearTimeout(lingering);
    lingering = undefined;
    dropStopped();
    while (running < options.concurrency && queue.length > 0) {
      const batch = takeBatch();
      if (batch.length === 0) return;
      running += 1;
      hold(batch, 1);
      options.onBatch?.(batch.length);
      options
        .run(
          batch.map((pending) => pending.item),
          batchLimits(batch),
        )
        .then(
          (outcomes) => {
            const settle: (() => void)[] = [];
            const retry: Pending<I, O>[] = [];
            batch.forEach((pending, i) => {
              pending.onGone = undefined;
              const outcome = outcomes[i];
              if (pending.gone) return;
              if (!outcome)
                settle.push(() => pending.reject(new Error("batch returned no outcome for a request")));
              else if (outcome.ok) settle.push(() => pending.resolve(outcome.value));
              else if ("retry" in outcome) retry.push(pending);
              else settle.push(() => pending.reject(outcome.error));
            });
            queue.unshift(...retry);
            finish(batch, settle);
          },
          (error: unknown) => {
            for (const pending of batch) pending.onGone = undefined;
            finish(
              batch,
              batch.filter((pending) => !pending.gone).map((pending) => () => pending.reject(error)),
            );
          },
        );
    }
  }

  // The next batch goes to the database before this one's callers are answered: answering (encoding and
  // writing responses) then overlaps the next batch's first round trip instead of delaying it.
  function finish(finished: Pending<I, O>[], settle: (() => void)[]): void {
    running -= 1;
    hold(finished, -1);
    if (lingerMs > 0 && running === 0 && finished.length >= fewItems && queue.length < fewItems) {
      lingering = setTimeout(() => {
        lingering = undefined;
        pump();
      }, lingerMs);
    } else {
      pump();
    }
    for (const answer of settle) answer();
  }

  // The batch's limits: aborted once every caller in it has gone (never while one has no signal), with
  // the latest of their deadlines (none while one has none).
  function batchLimits(batch: Pending<I, O>[]): CallLimits {
    let latest: Date | undefined = new Date(0);
    for (const { limits } of batch) {
      const deadline = limits?.deadline;
      if (deadline === undefined) latest = undefined;
      else if (latest !== undefined && deadline > latest) latest = deadline;
      if (latest === undefined) break;
    }
    if (!batch.every((pending) => pending.limits?.signal !== undefined)) return { deadline: latest };
    const controller = new AbortController();
    let waiting = batch.length;
    for (const pending of batch) {
      pending.onGone = () => {
        waiting -= 1;
        if (waiting === 0) controller.abort(pending.limits?.signal?.reason);
      };
    }
    return { deadline: latest, signal: controller.signal };
  }

  function leave(pending: Pending<I, O>): void {
    if (pending.gone) return;
    pending.gone = true;
    const index = queue.indexOf(pending);
    if (index >= 0) queue.splice(index, 1);
    else pending.onGone?.();
    pending.reject(stopReasonOf(pending.limits));
  }

  return {
    /** limits: the caller's; once it goes, its request leaves the queue or is dropped from its batch. */
    submit(item: I, limits?: CallLimits): Promise<O> {
      const stopped = stopReasonOf(limits);
      if (stopped !== undefined) return Promise.reject(stopped);
      return new Promise<O>((resolve, reject) => {
        const pending: Pending<I, O> = { item, limits, resolve, reject, gone: false };
        const signal = limits?.signal;
        if (signal !== undefined) {
          const onAbort = () => leave(pending);
          signal.addEventListener("abort", onAbort, { once: true });
          const settle =
            <T>(answer: (value: T) => void) =>
            (value: T) => {
              signal.removeEventListener("abort", onAbort);
              answer(value);
            };
          pending.resolve = settle(resolve);
          pending.reject = settle(reject);
        }
        queue.push(pending);
        pump();
      });
    },
  };
}
