// Leased idempotent runs (effects longer than one transaction) against a real PostgreSQL schema: one run
// per key and caller, replay of the first answer, a concurrent call refused while the run holds the key,
// the lease renewed while it runs, a failed run releasing the key, and a SIGKILLed run taken over once its
// lease lapses.
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { createDb, type Kysely } from "@stockroom/db";
import { ErrorReason, isAppError } from "@stockroom/errors";
import { createTestSchema, type TestSchema } from "@stockroom/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fingerprintOf, type IdempotencyDatabase, runLeasedIdempotent } from "../src/index.ts";

const TABLE = `
CREATE TABLE idempotency_records (
  idempotency_key  text NOT NULL CHECK (length(idempotency_key) BETWEEN 1 AND 128),
  operation        text NOT NULL,
  principal        text NOT NULL CHECK (length(principal) > 0),
  fingerprint      text NOT NULL,
  response         jsonb NOT NULL DEFAULT 'null',
  created_at       timestamptz NOT NULL DEFAULT now(),
  expires_at       timestamptz NOT NULL,
  PRIMARY KEY (operation, idempotency_key, principal),
  CHECK (expires_at >= created_at + interval '24 hours')
);`;

const HOLDER = fileURLToPath(new URL("./support/lease-holder.process.ts", import.meta.url));

let schema: TestSchema;
let db: Kysely<IdempotencyDatabase>;
const children: ChildProcess[] = [];

beforeAll(async () => {
  schema = await createTestSchema({ poolMax: 6 });
  await schema.pool.query(TABLE);
  db = createDb<IdempotencyDatabase>(schema.pool);
});

afterAll(async () => {
  for (const child of children) child.kill("SIGKILL");
  await schema?.drop();
});

const request = (principal: string, key: string, skus: string[]) => ({
  principal,
  operation: "rebuild",
  key,
  fingerprint: fingerprintOf({ skus }),
});

async function caught(promise: Promise<unknown>) {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isAppError(err)) throw new Error(`expected an AppError, got ${String(err)}`);
  return err;
}

function deferred<T = void>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("runLeasedIdempotent", () => {
  it("runs once per (principal, key), replays the first answer and refuses another request", async () => {
    let runs = 0;
    const effect = async () => ({ run: ++runs });
    expect(await runLeasedIdempotent(db, request("ops-a", "L-1", ["A"]), effect)).toEqual({ run: 1 });
    expect(await runLeasedIdempotent(db, request("ops-a", "L-1", ["A"]), effect)).toEqual({ run: 1 });
    expect(runs).toBe(1);
    const reused = await caught(runLeasedIdempotent(db, request("ops-a", "L-1", ["B"]), effect));
    expect(reused).toMatchObject({
      kind: "failed_precondition",
      reason: ErrorReason.IDEMPOTENCY_KEY_REUSED,
      metadata: { field: "idempotency_key" },
    });
    // Another caller's key of the same name is its own.
    expect(await runLeasedIdempotent(db, request("ops-b", "L-1", ["A"]), effect)).toEqual({ run: 2 });
    expect(runs).toBe(2);
  });

  it("refuses a second call with the key while the first runs, then replays the first's answer", async () => {
    const started = deferred();
    const finish = deferred();
    const first = runLeasedIdempotent(db, request("ops-a", "L-2", []), async () => {
      started.resolve();
      await finish.promise;
      return { rebuilt: 7 };
    });
    await started.promise;
    let secondRan = false;
    const busy = await caught(
      runLeasedIdempotent(db, request("ops-a", "L-2", []), async () => {
        secondRan = true;
        return { rebuilt: 0 };
      }),
    );
    expect(busy).toMatchObject({
      kind: "aborted",
      reason: ErrorReason.CONCURRENT_MODIFICATION,
      field: "idempotency_key",
    });
    // Another request under the running key is refused as reused, not as busy.
    expect(
      (await caught(runLeasedIdempotent(db, request("ops-a", "L-2", ["X"]), async () => 0))).reason,
    ).toBe(ErrorReason.IDEMPOTENCY_KEY_REUSED);
    finish.resolve();
    expect(await first).toEqual({ rebuilt: 7 });
    expect(await runLeasedIdempotent(db, request("ops-a", "L-2", []), async () => ({ rebuilt: 0 }))).toEqual({
      rebuilt: 7,
    });
    expect(secondRan).toBe(false);
  });

  it("keeps renewing the lease of a run longer than the lease", async () => {
    const finish = deferred();
    const started = deferred();
    const first = runLeasedIdempotent(
      db,
      request("ops-a", "L-3", []),
      async () => {
        started.resolve();
        await finish.promise;
        return "first";
      },
      { leaseSeconds: 0.6 },
    );
    await started.promise;
    await sleep(1500); // two and a half leases
    const busy = await caught(runLeasedIdempotent(db, request("ops-a", "L-3", []), async () => "second"));
    expect(busy.kind).toBe("aborted");
    finish.resolve();
    expect(await first).toBe("first");
  });

  it("releases the key when the run fails, so a retry runs", async () => {
    const failure = new Error("warehouse unreachable");
    await expect(
      runLeasedIdempotent(db, request("ops-a", "L-4", []), async () => {
        throw failure;
      }),
    ).rejects.toBe(failure);
    expect(await runLeasedIdempotent(db, request("ops-a", "L-4", []), async () => "retried")).toBe("retried");
  });

  it("lets a retry take over the key of a SIGKILLed run once its lease lapses", async () => {
    const child = spawn(
      process.execPath,
      [HOLDER, schema.connectionString, schema.schema, "ops-a", "L-5", "1"],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    children.push(child);
    let out = "";
    child.stdout?.setEncoding("utf8");
    child.stdout?.on("data", (chunk: string) => {
      out += chunk;
    });
    for (let i = 0; i < 200 && !out.includes("running"); i++) await sleep(50);
    expect(out).toContain("running");
    const exited = once(child, "exit");
    child.kill("SIGKILL");
    await exited;
    // The dead run's lease is still live: refused, not run.
    expect(
      (await caught(runLeasedIdempotent(db, request("ops-a", "L-5", []), async () => "early"))).kind,
    ).toBe("aborted");
    await sleep(1200);
    expect(await runLeasedIdempotent(db, request("ops-a", "L-5", []), async () => "took over")).toBe(
      "took over",
    );
    expect(await runLeasedIdempotent(db, request("ops-a", "L-5", []), async () => "again")).toBe("took over");
  });
});
