// claim → run → store → replay, key reuse, caller scoping, expiry and the batch fragments, against a
// real PostgreSQL schema holding the table as the README gives it.
import { createDb, type Kysely, sql, withTransaction } from "@stockroom/db";
import { ErrorReason } from "@stockroom/errors";
import { createTestSchema, type TestSchema } from "@stockroom/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  batchClaimsFrom,
  type ClaimedRow,
  claimBatchCte,
  deleteExpiredIdempotencyRecords,
  fingerprintOf,
  type HeldRow,
  heldBatchCte,
  type IdempotencyDatabase,
  releaseClaimsStatement,
  runIdempotent,
  scopedKeyOf,
  storeResponsesStatement,
} from "../src/index.ts";

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
);
CREATE INDEX idempotency_records_expiry_idx ON idempotency_records (expires_at);`;

let schema: TestSchema;
let db: Kysely<IdempotencyDatabase>;

beforeAll(async () => {
  schema = await createTestSchema({ poolMax: 6 });
  await schema.pool.query(TABLE);
  db = createDb<IdempotencyDatabase>(schema.pool);
});

afterAll(async () => {
  await schema?.drop(); // ends the pool db runs on
});

const request = (principal: string, key: string, body: unknown) => ({
  principal,
  operation: "reserve",
  key,
  fingerprint: fingerprintOf(body),
});

async function recordCount(key: string): Promise<number> {
  const row = await db
    .selectFrom("idempotency_records")
    .select((eb) => eb.fn.countAll<string>().as("n"))
    .where("idempotency_key", "=", key)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

describe("runIdempotent", () => {
  it("runs the effect once per (principal, key) and replays the stored answer", async () => {
    let runs = 0;
    const effect = async () => ({ run: ++runs });
    const first = await withTransaction(db, (trx) =>
      runIdempotent(trx, request("shop-a", "k-1", { q: 1 }), effect),
    );
    const again = await withTransaction(db, (trx) =>
      runIdempotent(trx, request("shop-a", "k-1", { q: 1 }), effect),
    );
    expect(first).toEqual({ run: 1 });
    expect(again).toEqual({ run: 1 });
    expect(runs).toBe(1);
  });

  it("refuses the same key with a different request, running nothing", async () => {
    let runs = 0;
    const effect = async () => ++runs;
    await withTransaction(db, (trx) => runIdempotent(trx, request("shop-a", "k-2", { q: 1 }), effect));
    const refused = await withTransaction(db, (trx) =>
      runIdempotent(trx, request("shop-a", "k-2", { q: 2 }), effect),
    ).catch((err: unknown) => err);
    expect(refused).toMatchObject({
      kind: "failed_precondition",
      reason: ErrorReason.IDEMPOTENCY_KEY_REUSED,
      metadata: { field: "idempotency_key" },
    });
    expect(runs).toBe(1);
  });

  it("gives two principals sending the same key and request two effects and their own answers", async () => {
    let runs = 0;
    const effect = async () => ({ run: ++runs });
    const a = await withTransaction(db, (trx) =>
      runIdempotent(trx, request("shop-a", "k-3", { q: 1 }), effect),
    );
    const b = await withTransaction(db, (trx) =>
      runIdempotent(trx, request("shop-b", "k-3", { q: 1 }), effect),
    );
    const aAgain = await withTransaction(db, (trx) =>
      runIdempotent(trx, request("shop-a", "k-3", { q: 1 }), effect),
    );
    const bAgain = await withTransaction(db, (trx) =>
      runIdempotent(trx, request("shop-b", "k-3", { q: 1 }), effect),
    );
    expect([a, b, aAgain, bAgain]).toEqual([{ run: 1 }, { run: 2 }, { run: 1 }, { run: 2 }]);
    // A different request from the second principal is judged against its own record only.
    const other = await withTransaction(db, (trx) =>
      runIdempotent(trx, request("shop-c", "k-3", { q: 9 }), effect),
    );
    expect(other).toEqual({ run: 3 });
    expect(await recordCount("k-3")).toBe(3);
  });

  it("stores and replays through the codec (bigint answers)", async () => {
    const codec = {
      toJson: (value: { price: bigint }) => ({ price: value.price.toString() }),
      fromJson: (json: unknown) => ({ price: BigInt((json as { price: string }).price) }),
    };
    const req = request("shop-a", "k-4", { price: 12345678901234567890n });
    const first = await withTransaction(db, (trx) =>
      runIdempotent(trx, req, async () => ({ price: 12345678901234567890n }), { codec }),
    );
    const replay = await withTransaction(db, (trx) =>
      runIdempotent(trx, req, async () => ({ price: 1n }), { codec }),
    );
    expect(first).toEqual({ price: 12345678901234567890n });
    expect(replay).toEqual({ price: 12345678901234567890n });
    const stored = await db
      .selectFrom("idempotency_records")
      .select("response")
      .where("idempotency_key", "=", "k-4")
      .executeTakeFirstOrThrow();
    expect(stored.response).toEqual({ price: "12345678901234567890" });
  });

  it("keeps no claim when the effect fails, so a retry runs it", async () => {
    let runs = 0;
    const failing = withTransaction(db, (trx) =>
      runIdempotent(trx, request("shop-a", "k-5", {}), async () => {
        runs++;
        throw new Error("effect failed");
      }),
    );
    await expect(failing).rejects.toThrow("effect failed");
    expect(await recordCount("k-5")).toBe(0);
    const retried = await withTransaction(db, (trx) =>
      runIdempotent(trx, request("shop-a", "k-5", {}), async () => ++runs),
    );
    expect(retried).toBe(2);
  });

  it("runs the effect once when two transactions race with the same key", async () => {
    let runs = 0;
    let firstPid = 0;
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const first = withTransaction(db, (trx) =>
      runIdempotent(trx, request("shop-a", "k-6", {}), async () => {
        runs++;
        const { rows } = await sql<{ pid: number }>`SELECT pg_backend_pid() AS pid`.execute(trx);
        firstPid = rows[0]?.pid ?? 0;
        await gate; // hold the claim while the second transaction arrives
        return "first";
      }),
    );
    await expect.poll(() => firstPid, { timeout: 5_000 }).not.toBe(0);
    const second = withTransaction(db, (trx) =>
      runIdempotent(trx, request("shop-a", "k-6", {}), async () => {
        runs++;
        return "second";
      }),
    );
    // The second claim waits on the first's uncommitted record, then replays its answer.
    await expect
      .poll(
        async () => {
          const { rows } = await schema.pool.query<{ n: string }>(
            "SELECT count(*) AS n FROM pg_stat_activity WHERE $1::int = ANY(pg_blocking_pids(pid))",
            [firstPid],
          );
          return Number(rows[0]?.n ?? 0);
        },
        { timeout: 5_000 },
      )
      .toBe(1);
    release();
    expect(await first).toBe("first");
    expect(await second).toBe("first");
    expect(runs).toBe(1);
  });

  it("claims an expired record afresh, and prunes only expired records", async () => {
    let runs = 0;
    const effect = async () => ++runs;
    await withTransaction(db, (trx) => runIdempotent(trx, request("shop-a", "k-7", { v: 1 }), effect));
    await withTransaction(db, (trx) => runIdempotent(trx, request("shop-a", "k-8", { v: 1 }), effect));
    await sql`UPDATE idempotency_records SET created_at = now() - interval '3 days',
      expires_at = now() - interval '1 hour' WHERE idempotency_key = 'k-7'`.execute(db);
    // Expired: a different request under the same key is no reuse, it is a new claim.
    const fresh = await withTransaction(db, (trx) =>
      runIdempotent(trx, request("shop-a", "k-7", { v: 2 }), effect),
    );
    expect(fresh).toBe(3);

    await sql`UPDATE idempotency_records SET created_at = now() - interval '3 days',
      expires_at = now() - interval '1 hour' WHERE idempotency_key IN ('k-7', 'k-8')`.execute(db);
    const before = await db.selectFrom("idempotency_records").select("idempotency_key").execute();
    expect(await deleteExpiredIdempotencyRecords(db, 1)).toBe(1);
    expect(await deleteExpiredIdempotencyRecords(db, 10)).toBe(1);
    expect(await deleteExpiredIdempotencyRecords(db, 10)).toBe(0);
    const after = await db.selectFrom("idempotency_records").select("idempotency_key").execute();
    expect(after.length).toBe(before.length - 2);
    expect(after.map((r) => r.idempotency_key)).not.toContain("k-7");
    expect(after.map((r) => r.idempotency_key)).not.toContain("k-8");
  });
});

describe("batch fragments", () => {
  async function claimBatch(claims: { principal: string; key: string; fingerprint: string }[]) {
    const { rows } = await sql<{ claimed: ClaimedRow[]; held: HeldRow[] }>`
      WITH claimed AS (${claimBatchCte("batch", 48, claims)}),
      held AS (${heldBatchCte("batch", claims)})
      SELECT (SELECT coalesce(json_agg(claimed), '[]') FROM claimed) AS claimed,
             (SELECT coalesce(json_agg(held), '[]') FROM held) AS held`.execute(db);
    const row = rows[0] as { claimed: ClaimedRow[]; held: HeldRow[] };
    return batchClaimsFrom(row.claimed, row.held);
  }

  it("claims per (principal, key), stores answers, releases failures and replays on the next batch", async () => {
    const a1 = { principal: "shop-a", key: "b-1", fingerprint: "f1" };
    const b1 = { principal: "shop-b", key: "b-1", fingerprint: "f1" };
    const a2 = { principal: "shop-a", key: "b-2", fingerprint: "f2" };
    const claims = await claimBatch([a1, b1, a2]);
    expect([...claims.entries()].sort()).toEqual(
      [
        [scopedKeyOf(a1), { status: "claimed" }],
        [scopedKeyOf(b1), { status: "claimed" }],
        [scopedKeyOf(a2), { status: "claimed" }],
      ].sort(),
    );
    await sql`${storeResponsesStatement("batch", [
      { ...a1, response: { answer: "a" } },
      { ...b1, response: { answer: "b" } },
    ])}`.execute(db);
    await sql`${releaseClaimsStatement("batch", [a2])}`.execute(db);

    const next = await claimBatch([a1, b1, a2]);
    expect(next.get(scopedKeyOf(a1))).toEqual({
      status: "replay",
      fingerprint: "f1",
      response: { answer: "a" },
    });
    expect(next.get(scopedKeyOf(b1))).toEqual({
      status: "replay",
      fingerprint: "f1",
      response: { answer: "b" },
    });
    // Released, so claimed again.
    expect(next.get(scopedKeyOf(a2))).toEqual({ status: "claimed" });
  });
});

describe("fingerprintOf", () => {
  it("hashes bigints as their text and tells different requests apart", () => {
    expect(fingerprintOf({ price: 10n })).toBe(fingerprintOf({ price: "10" }));
    expect(fingerprintOf({ price: 10n })).not.toBe(fingerprintOf({ price: 11n }));
    expect(fingerprintOf({ a: 1 })).toBe(fingerprintOf({ a: 1 }));
  });
});
