// The reserve batch reads claims, level locks, lots and warehouse ranks in one statement. Its snapshot
// is older than the locks it waits for: these tests make a writer commit while the reserve waits and
// check that the reserve plans against what that writer committed.
import { sql } from "@stockroom/db";
import { ErrorReason } from "@stockroom/errors";
import type { Kysely } from "kysely";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createUseCaseDeps } from "../src/app/use-case-deps.ts";
import type { WarehouseDatabase } from "../src/data/database.ts";
import {
  assertInvariants,
  CONTEXT,
  createWarehouseFixture,
  errorOf,
  insertWarehouse,
  isFailure,
  key,
  receive,
  useCasesOver,
  type WarehouseFixture,
} from "./support/warehouse-fixture.ts";

let fx: WarehouseFixture;

beforeAll(async () => {
  fx = await createWarehouseFixture();
  await insertWarehouse(fx.db, "W1");
  await receive(fx.useCases, "W1", [
    { sku: "LATE-LOT", quantity: 2, lotCode: "OLD", expiresOn: "2027-01-01" },
  ]);
});

afterAll(async () => {
  await fx?.drop();
});

// Runs `work` in a transaction that stays open until the returned `commit` is called.
async function openTransaction(work: (trx: Kysely<WarehouseDatabase>) => Promise<void>) {
  let commit!: () => void;
  const gate = new Promise<void>((resolve) => {
    commit = resolve;
  });
  let ready!: () => void;
  const started = new Promise<void>((resolve) => {
    ready = resolve;
  });
  const done = fx.db.transaction().execute(async (trx) => {
    await work(trx);
    ready();
    await gate;
  });
  await started;
  return {
    commit: async () => {
      commit();
      await done;
    },
  };
}

function reserveLateLot(idempotencyKey: string, quantity: number) {
  return fx.useCases.reserve(
    {
      idempotencyKey,
      reference: { type: "cart", id: key("cart") },
      lines: [{ sku: "LATE-LOT", quantity, warehouseCode: "W1" }],
      ttlMs: 60_000,
      allowPartial: false,
      allowSplit: false,
    },
    CONTEXT,
  );
}

async function waitUntilBlockedOnALock(): Promise<void> {
  await vi.waitFor(
    async () => {
      const { rows } = await sql<{ waiting: number }>`
        SELECT count(*)::int AS waiting FROM pg_stat_activity
        WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%claimed AS (%'`.execute(
        fx.db,
      );
      expect(rows[0]?.waiting).toBeGreaterThan(0);
    },
    { timeout: 10_000, interval: 20 },
  );
}

describe("reserve reads under locks it waited for", () => {
  it("plans against lots committed by the transaction whose level lock it waited on", async () => {
    // The holder receives an earlier-expiring lot under the level's lock. The reserve needs 3 units:
    // with the lots of its snapshot (OLD: 2) it would fail; with the committed ones it takes NEW (FEFO).
    const holder = await openTransaction(async (trx) => {
      await receive(useCasesOver(createUseCaseDeps(trx, { clock: () => fx.clock.now })), "W1", [
        { sku: "LATE-LOT", quantity: 5, lotCode: "NEW", expiresOn: "2026-12-15" },
      ]);
    });
    const reserving = reserveLateLot(key("late-lot"), 3);
    await waitUntilBlockedOnALock();
    await holder.commit();
    const result = await reserving;
    expect(result.reservation?.lines[0]?.allocations).toEqual([
      { warehouseCode: "W1", lotCode: "NEW", quantity: 3 },
    ]);
    await assertInvariants(fx.db);
  });

  it("answers from the record of a key claimed by a transaction that committed while it waited", async () => {
    const idempotencyKey = key("held");
    const holder = await openTransaction(async (trx) => {
      await sql`INSERT INTO idempotency_records (principal, operation, idempotency_key, fingerprint, expires_at, response)
        VALUES (${CONTEXT.principal}, 'reserve', ${idempotencyKey}, 'another request', now() + interval '25 hours', '{"reservation":null,"shortages":[]}')`.execute(
        trx,
      );
    });
    const reserving = errorOf(() => reserveLateLot(idempotencyKey, 1));
    await waitUntilBlockedOnALock();
    await holder.commit();
    const err = await reserving;
    expect(isFailure(err, ErrorReason.IDEMPOTENCY_KEY_REUSED)).toBe(true);
    const { rows } = await sql<{ reservations: number }>`
      SELECT count(*)::int AS reservations FROM reservations r
      JOIN reservation_lines l USING (reservation_id) WHERE l.sku = 'LATE-LOT'`.execute(fx.db);
    expect(rows[0]?.reservations).toBe(1);
  });
});
