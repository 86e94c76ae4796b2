// The batcher in isolation: a lone request runs at once, requests that arrive meanwhile share the next
// batch, a retry goes into the batch after, and the next batch starts before the previous one's callers
// are answered.
import { describe, expect, it } from "vitest";
import { type BatchOutcome, createRequestBatcher } from "../src/app/request-batcher.ts";

function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

describe("request batcher", () => {
  it("runs a lone request at once and batches the ones that arrive while it runs", async () => {
    const batches: number[][] = [];
    const gates: ReturnType<typeof deferred<void>>[] = [];
    const batcher = createRequestBatcher<number, number>({
      maxBatch: 3,
      concurrency: 1,
      run: async (items) => {
        batches.push(items);
        const gate = deferred<void>();
        gates.push(gate);
        await gate.promise;
        return items.map((n): BatchOutcome<number> => ({ ok: true, value: n * 10 }));
      },
    });
    const first = batcher.submit(1);
    const rest = [2, 3, 4, 5].map((n) => batcher.submit(n));
    expect(batches).toEqual([[1]]);
    gates[0]?.resolve();
    await expect(first).resolves.toBe(10);
    expect(batches).toEqual([[1], [2, 3, 4]]);
    gates[1]?.resolve();
    await new Promise((r) => setImmediate(r));
    gates[2]?.resolve();
    await expect(Promise.all(rest)).resolves.toEqual([20, 30, 40, 50]);
    expect(batches).toEqual([[1], [2, 3, 4], [5]]);
  });

  it("puts a retried request into the next batch and fails only the requests of a failed batch", async () => {
    const batches: string[][] = [];
    let calls = 0;
    const batcher = createRequestBatcher<string, string>({
      maxBatch: 10,
      concurrency: 1,
      run: async (items) => {
        batches.push(items);
        calls += 1;
        if (items.includes("boom")) throw new Error("database gone");
        return items.map(
          (item): BatchOutcome<string> =>
            item === "again" && calls === 1 ? { ok: false, retry: true } : { ok: true, value: item },
        );
      },
    });
    await expect(batcher.submit("again")).resolves.toBe("again");
    expect(batches).toEqual([["again"], ["again"]]);
    await expect(batcher.submit("boom")).rejects.toThrow("database gone");
    await expect(batcher.submit("fine")).resolves.toBe("fine");
  });

  it("sends the next batch before answering the previous one's callers", async () => {
    const events: string[] = [];
    const gate = deferred<void>();
    const batcher = createRequestBatcher<string, string>({
      maxBatch: 10,
      concurrency: 1,
      run: async (items) => {
        events.push(`run ${items.join(",")}`);
        if (items[0] === "a") await gate.promise;
        return items.map((item): BatchOutcome<string> => ({ ok: true, value: item }));
      },
    });
    const a = batcher.submit("a").then(() => events.push("answered a"));
    const b = batcher.submit("b").then(() => events.push("answered b"));
    gate.resolve();
    await Promise.all([a, b]);
    expect(events.indexOf("run b")).toBeLessThan(events.indexOf("answered a"));
  });

  it("after a large batch waits briefly for the callers it answered; after a small one it does not", async () => {
    const batches: number[][] = [];
    const gate = deferred<void>();
    const batcher = createRequestBatcher<number, number>({
      maxBatch: 8,
      concurrency: 1,
      lingerMs: 500,
      run: async (items) => {
        batches.push(items);
        if (batches.length === 2) await gate.promise;
        return items.map((n): BatchOutcome<number> => ({ ok: true, value: n }));
      },
    });
    // A lone request (small batch): the next one runs at once.
    await batcher.submit(0);
    const first = batcher.submit(1);
    expect(batches).toEqual([[0], [1]]);
    // Requests 2..5 queue behind batch [1] and go together once it ends.
    const large = [2, 3, 4, 5].map((n) => batcher.submit(n));
    gate.resolve();
    await first;
    await Promise.all(large);
    expect(batches).toEqual([[0], [1], [2, 3, 4, 5]]);
    // After that large batch, a single follower is held for the others that are on their way.
    const followers = [batcher.submit(6)];
    await new Promise((r) => setTimeout(r, 5));
    followers.push(batcher.submit(7));
    await Promise.all(followers);
    expect(batches).toEqual([[0], [1], [2, 3, 4, 5], [6, 7]]);
  });

  it("beside a running batch, starts one only of requests that share no key with it, and enough of them", async () => {
    const batches: string[][] = [];
    const gates = new Map<string, ReturnType<typeof deferred<void>>>();
    const batcher = createRequestBatcher<string, string>({
      maxBatch: 8, // a quarter: 2
      concurrency: 2,
      conflictKeys: (item) => [item.slice(0, 1)],
      run: async (items) => {
        batches.push(items);
        const gate = deferred<void>();
        gates.set(items.join(","), gate);
        await gate.promise;
        return items.map((item): BatchOutcome<string> => ({ ok: true, value: item }));
      },
    });
    const answers = [batcher.submit("a1")];
    // a2 shares key a with the running batch, and b1 alone is too few: both wait.
    answers.push(batcher.submit("a2"), batcher.submit("b1"));
    expect(batches).toEqual([["a1"]]);
    // With c1 there are two requests that conflict with nothing running: they go beside it.
    answers.push(batcher.submit("c1"));
    expect(batches).toEqual([["a1"], ["b1", "c1"]]);
    // Both slots are taken: d1 and d2 wait even though they conflict with nothing.
    answers.push(batcher.submit("d1"), batcher.submit("d2"));
    gates.get("a1")?.resolve();
    await answers[0];
    // a1's slot is free and a2 no longer conflicts: the queue goes in order, beside [b1, c1].
    expect(batches).toEqual([["a1"], ["b1", "c1"], ["a2", "d1", "d2"]]);
    gates.get("b1,c1")?.resolve();
    gates.get("a2,d1,d2")?.resolve();
    await expect(Promise.all(answers)).resolves.toEqual(["a1", "a2", "b1", "c1", "d1", "d2"]);
  });

  it("drops a caller that leaves: from the queue unrun, from a running batch answered at once; the batch stops only when all have gone", async () => {
    const batches: string[][] = [];
    const batchSignals: (AbortSignal | undefined)[] = [];
    const gates: ReturnType<typeof deferred<void>>[] = [];
    const batcher = createRequestBatcher<string, string>({
      maxBatch: 10,
      concurrency: 1,
      run: async (items, limits) => {
        batches.push(items);
        batchSignals.push(limits.signal);
        const gate = deferred<void>();
        gates.push(gate);
        await gate.promise;
        return items.map((item): BatchOutcome<string> => ({ ok: true, value: item }));
      },
    });
    const callers = Object.fromEntries(["a", "b", "c", "d"].map((n) => [n, new AbortController()]));
    const submit = (item: string) =>
      batcher.submit(item, { signal: callers[item]?.signal }).then(
        (value) => `ok ${value}`,
        (err: { kind?: string }) => `stopped ${err.kind}`,
      );
    const a = submit("a");
    const [b, c, d] = [submit("b"), submit("c"), submit("d")];
    // b leaves the queue: it is answered at once and never runs.
    callers.b?.abort();
    expect(await b).toBe("stopped cancelled");
    gates[0]?.resolve();
    expect(await a).toBe("ok a");
    expect(batches).toEqual([["a"], ["c", "d"]]);
    // c leaves the running batch: answered at once; the batch is not stopped while d waits.
    callers.c?.abort();
    expect(await c).toBe("stopped cancelled");
    expect(batchSignals[1]?.aborted).toBe(false);
    // d leaves too: the batch's signal aborts (its transaction stops); d is answered.
    callers.d?.abort();
    expect(await d).toBe("stopped cancelled");
    expect(batchSignals[1]?.aborted).toBe(true);
    gates[1]?.resolve();
    // A caller already past its deadline is refused before it queues.
    await expect(batcher.submit("late", { deadline: new Date(Date.now() - 1) })).rejects.toMatchObject({
      kind: "deadline_exceeded",
    });
    expect(batches).toHaveLength(2);
  });

  it("a batch's deadline is the latest of its callers', and none while one caller has none", async () => {
    const deadlines: (Date | undefined)[] = [];
    const gate = deferred<void>();
    const batcher = createRequestBatcher<string, string>({
      maxBatch: 10,
      concurrency: 1,
      run: async (items, limits) => {
        deadlines.push(limits.deadline);
        if (items[0] === "first") await gate.promise;
        return items.map((item): BatchOutcome<string> => ({ ok: true, value: item }));
      },
    });
    const soon = new Date(Date.now() + 5_000);
    const later = new Date(Date.now() + 9_000);
    const first = batcher.submit("first");
    const answers = [batcher.submit("x", { deadline: soon }), batcher.submit("y", { deadline: later })];
    gate.resolve();
    await Promise.all([first, ...answers]);
    expect(deadlines).toEqual([undefined, later]);
  });
});
