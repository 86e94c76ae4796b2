// FULF-P0-03: a fulfillment starts only while the order's reservation is still confirmed and commits, in
// its warehouse, at least the units the fulfillment will pick. The warehouse's answer (GetReservation)
// is compared here; each fulfillment line learns the reservation line its units are committed on.

export interface ReservedLine {
  lineNumber: number;
  sku: string;
  status: "held" | "committed" | "shipped" | "released";
  allocations: readonly { warehouseCode: string; lotCode: string; quantity: number }[];
}

export interface ReservationAnswer {
  status: "active" | "confirmed" | "released" | "expired" | "cancelled" | "shipped";
  lines: readonly ReservedLine[];
}

export interface LineToVerify {
  orderLineNumber: number;
  sku: string;
  quantity: number;
}

export type ReservationCheck =
  | { ok: true; reservationLineOf: Map<number, number> }
  | { ok: false; reason: string; missing: { orderLineNumber: number; sku: string; quantity: number }[] };

// Demand is summed per sku first (two order lines of one sku must not both count the same units).
export function checkReservationCovers(
  reservation: ReservationAnswer,
  warehouseCode: string,
  lines: readonly LineToVerify[],
): ReservationCheck {
  const everything = lines.map((l) => ({
    orderLineNumber: l.orderLineNumber,
    sku: l.sku,
    quantity: l.quantity,
  }));
  if (reservation.status !== "confirmed") {
    return {
      ok: false,
      reason: `the reservation is ${reservation.status}, not confirmed`,
      missing: everything,
    };
  }
  const committed = new Map<string, { lineNumber: number; units: number }>();
  for (const line of reservation.lines) {
    if (line.status !== "committed") continue;
    const units = line.allocations
      .filter((a) => a.warehouseCode === warehouseCode)
      .reduce((n, a) => n + a.quantity, 0);
    if (units === 0) continue;
    const seen = committed.get(line.sku);
    committed.set(line.sku, {
      lineNumber: seen?.lineNumber ?? line.lineNumber,
      units: (seen?.units ?? 0) + units,
    });
  }
  const demand = new Map<string, number>();
  for (const l of lines) demand.set(l.sku, (demand.get(l.sku) ?? 0) + l.quantity);
  const short = [...demand]
    .filter(([sku, units]) => (committed.get(sku)?.units ?? 0) < units)
    .map(([sku]) => sku);
  if (short.length > 0) {
    return {
      ok: false,
      reason: `the reservation commits fewer units than the order in ${warehouseCode} for ${short.join(", ")}`,
      missing: everything.filter((l) => short.includes(l.sku)),
    };
  }
  const reservationLineOf = new Map<number, number>();
  for (const l of lines) reservationLineOf.set(l.orderLineNumber, committed.get(l.sku)?.lineNumber ?? 0);
  return { ok: true, reservationLineOf };
}
