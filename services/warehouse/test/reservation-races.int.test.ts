// Races on one reservation and duplicate requests, against real PostgreSQL: whatever order the
// commands land in, exactly one terminal transition wins and the stock moves exactly once; an
// idempotency key runs its effect once, however many duplicates arrive at the same time.

import { sql } from "@stockroom/db";
import { ErrorReason } from "@stockroom/errors";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ReservationView } from "../src/domain/reservation.ts";
import {
  assertInvariants,
  CONTEXT,
  createWarehouseFixture,
  errorOf,
  insertWarehouse,
  isFailure,
  key,
  level,
  receive,
  type UseCases,
  type WarehouseFixture,
} from "./support/warehouse-fixture.ts";

let fx: WarehouseFixture;

beforeAll(async () => {
  fx = await createWarehouseFixture();
  await insertWarehouse(fx.db, "W1", { priority: 1 });
  await insertWarehouse(fx.db, "W2", { priority: 2 });
  await receive(fx.useCases, "W1", [
    { sku: "RACE-A", quantity: 200, lotCode: "A1", expiresOn: "2027-05-01" },
    { sku: "RACE-A", quantity: 200 },
    { sku: "IDEM-A", quantity: 50 },
  ]);
  await receive(fx.useCases, "W2", [{ sku: "RACE-B", quantity: 300 }]);
});

afterAll(async () => {
  await fx?.drop();
});

const TTL_MS = 10 * 60_000;

async function freshReservation(): Promise<ReservationView> {
  const result = await fx.useCases.reserve(
    {
      idempotencyKey: key("reserve"),
      reference: { type: "checkout", id: key("co") },
      // Two lines on two warehouses so the stock move spans several allocations.
      lines: [
        { sku: "RACE-A", quantity: 2 },
        { sku: "RACE-B", quantity: 1 },
      ],
      ttlMs: TTL_MS,
      allowPartial: false,
      allowSplit: false,
    },
    CONTEXT,
  );
  if (!result.reservation) throw new Error("reservation expected");
  return result.reservation;
}

async function movementsOf(reservationId: string) {
  const { rows } = await sql<{
    reason: string;
    warehouse_code: string;
    sku: string;
    lot_code: string | null;
  }>`
    SELECT reason, warehouse_code, sku, lot_code FROM stock_movements
    WHERE reference_type = 'reservation' AND reference_id = ${reservationId}
    ORDER BY movement_id`.execute(fx.db);
  return rows;
}

type Outcome = { ok: true; status: string } | { ok: false; err: unknown };

async function attempt(fn: () => Promise<ReservationView | number>): Promise<Outcome> {
  try {
    const value = await fn();
    return { ok: true, status: typeof value === "number" ? `swept:${value}` : value.status };
  } catch (err) {
    return { ok: false, err };
  }
}

function racers(uc: UseCases, sweeper: UseCases, reservationId: string) {
  return {
    release: () => uc.release({ idempotencyKey: key("rel"), reservationId, reason: "race" }, CONTEXT),
    confirm: () =>
      uc.confirm({ idempotencyKey: key("conf"), reservationId, orderReference: "ORDER-1" }, CONTEXT),
    extend: () => uc.extend({ idempotencyKey: key("ext"), reservationId, ttlMs: TTL_MS }, CONTEXT),
    // The sweeper may expire other lapsed reservations too; only this one's rows are judged below.
    expire: () => sweeper.expire(1_000, CONTEXT),
  };
}

describe("racing commands on one reservation", () => {
  it("past the expiry: expire and release race, confirm and extend are refused, stock moves once", async () => {
    for (let round = 0; round < 30; round++) {
      const reservation = await freshReservation();
      const expiresAt = new Date(reservation.expiresAt ?? 0);
      const late = fx.useCasesAt(() => new Date(expiresAt.getTime() + 1));
      const race = racers(late, late, reservation.reservationId);
      const [release, confirm, extend] = await Promise.all([
        attempt(race.release),
        attempt(race.confirm),
        attempt(race.extend),
        attempt(race.expire),
      ]);

      // Confirm and extend can never win once the hold has lapsed.
      for (const loser of [confirm, extend]) {
        expect(loser?.ok).toBe(false);
        if (loser && !loser.ok) {
          expect(
            isFailure(loser.err, ErrorReason.RESERVATION_EXPIRED) ||
              isFailure(loser.err, ErrorReason.INVALID_STATE_TRANSITION),
          ).toBe(true);
        }
      }
      const row = await fx.db
        .selectFrom("reservations")
        .select("status")
        .where("reservation_id", "=", reservation.reservationId)
        .executeTakeFirstOrThrow();
      if (release?.ok) {
        expect(row.status).toBe("released");
      } else {
        expect(row.status).toBe("expired");
        if (release && !release.ok) expect(isFailure(release.err)).toBe(true);
      }
      await expectMovedOnce(reservation, row.status === "released" ? "release" : "expire");
    }
    await assertInvariants(fx.db);
  });

  it("before the expiry: exactly one of confirm and release wins, extend only before it, stock moves once", async () => {
    for (let round = 0; round < 30; round++) {
      const reservation = await freshReservation();
      const race = racers(fx.useCases, fx.useCases, reservation.reservationId);
      const [release, confirm, extend, expire] = await Promise.all([
        attempt(race.release),
        attempt(race.confirm),
        attempt(race.extend),
        attempt(race.expire),
      ]);
      const winners = [release, confirm].filter((o) => o?.ok);
      expect(winners).toHaveLength(1);
      for (const loser of [release, confirm].filter((o) => o && !o.ok)) {
        if (loser && !loser.ok) expect(isFailure(loser.err, ErrorReason.INVALID_STATE_TRANSITION)).toBe(true);
      }
      if (extend && !extend.ok)
        expect(isFailure(extend.err, ErrorReason.INVALID_STATE_TRANSITION)).toBe(true);
      // Not due yet: the sweeper leaves it alone.
      expect(expire).toEqual({ ok: true, status: "swept:0" });
      const won = release?.ok ? "release" : "confirm";
      await expectMovedOnce(reservation, won);
    }
    await assertInvariants(fx.db);
  });

  it("cancel and ship of one confirmed reservation: exactly one wins", async () => {
    for (let round = 0; round < 15; round++) {
      const reservation = await freshReservation();
      const id = reservation.reservationId;
      await fx.useCases.confirm(
        { idempotencyKey: key("conf"), reservationId: id, orderReference: "O" },
        CONTEXT,
      );
      const [cancel, ship] = await Promise.all([
        attempt(() =>
          fx.useCases.cancel({ idempotencyKey: key("can"), reservationId: id, reason: "race" }, CONTEXT),
        ),
        attempt(() =>
          fx.useCases.ship(
            { idempotencyKey: key("ship"), reservationId: id, lineNumbers: [], shipmentId: "S" },
            CONTEXT,
          ),
        ),
      ]);
      expect([cancel, ship].filter((o) => o?.ok)).toHaveLength(1);
      const moves = (await movementsOf(id)).filter((m) => m.reason === "cancel" || m.reason === "ship");
      expect(moves.map((m) => m.reason)).toEqual(
        Array(moveCount(reservation)).fill(cancel?.ok ? "cancel" : "ship"),
      );
    }
    await assertInvariants(fx.db);
  });
});

function moveCount(reservation: ReservationView): number {
  return reservation.lines.reduce((sum, line) => sum + line.allocations.length, 0);
}

// The reserve movements, one `terminal` movement per allocation, and no other terminal movement.
async function expectMovedOnce(reservation: ReservationView, terminal: "release" | "expire" | "confirm") {
  const moves = await movementsOf(reservation.reservationId);
  const allocations = reservation.lines.flatMap((line) =>
    line.allocations.map((a) => `${a.warehouseCode}/${line.sku}/${a.lotCode}`),
  );
  const of = (reason: string) =>
    moves
      .filter((m) => m.reason === reason)
      .map((m) => `${m.warehouse_code}/${m.sku}/${m.lot_code}`)
      .sort();
  // Reserve rows are written per level (without the lot), the later moves per allocation.
  const reservedLevels = [...new Set(allocations.map((a) => a.split("/").slice(0, 2).join("/")))].sort();
  expect([...new Set(of("reserve").map((m) => m.split("/").slice(0, 2).join("/")))]).toEqual(reservedLevels);
  expect(of(terminal)).toEqual([...allocations].sort());
  for (const other of ["release", "expire", "confirm"].filter((r) => r !== terminal))
    expect(of(other)).toEqual([]);
}

describe("idempotency keys", () => {
  const request = (idempotencyKey: string, quantity = 2) => ({
    idempotencyKey,
    reference: { type: "cart", id: "cart-idem" },
    lines: [{ sku: "IDEM-A", quantity }],
    ttlMs: TTL_MS,
    allowPartial: false,
    allowSplit: false,
  });

  async function countFor(reservationIds: string[]) {
    const reservations = await fx.db
      .selectFrom("reservations")
      .select("reservation_id")
      .where("reference_id", "=", "cart-idem")
      .execute();
    const moves = reservationIds.length
      ? await fx.db
          .selectFrom("stock_movements")
          .select("movement_id")
          .where("reference_id", "in", reservationIds)
          .execute()
      : [];
    return { reservations: reservations.length, movements: moves.length };
  }

  it("the same key and request answer the same reservation, executed once", async () => {
    const before = await level(fx.db, "W1", "IDEM-A");
    const k = key("idem");
    const first = await fx.useCases.reserve(request(k), CONTEXT);
    const second = await fx.useCases.reserve(request(k), CONTEXT);
    expect(second).toEqual(first);
    const id = first.reservation?.reservationId ?? "";
    expect(await countFor([id])).toEqual({ reservations: 1, movements: 1 });
    expect((await level(fx.db, "W1", "IDEM-A")).reserved).toBe(before.reserved + 2);

    // Commands too: a replayed release answers the first release and moves nothing again.
    const releaseKey = key("rel");
    const released = await fx.useCases.release(
      { idempotencyKey: releaseKey, reservationId: id, reason: "x" },
      CONTEXT,
    );
    const again = await fx.useCases.release(
      { idempotencyKey: releaseKey, reservationId: id, reason: "x" },
      CONTEXT,
    );
    expect(again).toEqual(released);
    expect(await countFor([id])).toEqual({ reservations: 1, movements: 2 });
    await assertInvariants(fx.db);
  });

  it("10 concurrent duplicates run the effect once and all get the same answer", async () => {
    const before = await level(fx.db, "W1", "IDEM-A");
    const k = key("idem");
    const existing = (await countFor([])).reservations;
    const answers = await Promise.all(
      Array.from({ length: 10 }, () => fx.useCases.reserve(request(k, 3), CONTEXT)),
    );
    const ids = new Set(answers.map((a) => a.reservation?.reservationId));
    expect(ids.size).toBe(1);
    const id = answers[0]?.reservation?.reservationId ?? "";
    for (const answer of answers) expect(answer).toEqual(answers[0]);
    expect(await countFor([id])).toEqual({ reservations: existing + 1, movements: 1 });
    expect((await level(fx.db, "W1", "IDEM-A")).reserved).toBe(before.reserved + 3);
    await assertInvariants(fx.db);
  });

  it("the same key with a different request is IDEMPOTENCY_KEY_REUSED and changes nothing", async () => {
    const k = key("idem");
    const first = await fx.useCases.reserve(request(k, 1), CONTEXT);
    const before = await level(fx.db, "W1", "IDEM-A");
    const outboxBefore = await fx.db.selectFrom("outbox").select("id").execute();
    const err = await errorOf(() => fx.useCases.reserve(request(k, 4), CONTEXT));
    expect(err.kind).toBe("failed_precondition");
    expect(err.reason).toBe(ErrorReason.IDEMPOTENCY_KEY_REUSED);
    expect(await level(fx.db, "W1", "IDEM-A")).toEqual(before);
    expect(await fx.db.selectFrom("outbox").select("id").execute()).toHaveLength(outboxBefore.length);
    const id = first.reservation?.reservationId ?? "";
    expect(await countFor([id])).toMatchObject({ movements: 1 });
    // The stored answer is untouched: the original request still replays it.
    expect(await fx.useCases.reserve(request(k, 1), CONTEXT)).toEqual(first);
  });
});
