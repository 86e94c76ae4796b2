// stockroom reservations find --id UUID | --reference type:id
// By id this is GetReservation. By reference it needs a warehouse RPC that finds reservations by their
// reference, which the API does not have yet: the command says so (exit 2) instead of scanning.

import { toJson } from "@bufbuild/protobuf";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import {
  LineStatus,
  type Reservation,
  ReservationSchema,
  ReservationStatus,
} from "@stockroom/proto/stockroom/warehouse/v1/stock_pb.js";
import type { Command } from "commander";
import { usageError } from "../exit-codes.ts";
import { reference } from "../option-parsers.ts";
import { printJson, printTable } from "../output.ts";
import type { RunAction } from "../program.ts";

export const FIND_BY_REFERENCE_UNSUPPORTED =
  "finding reservations by reference needs the warehouse's find-by-reference RPC, which this " +
  "warehouse API does not offer yet; use --id <reservation id>";

const enumName = (e: Record<number, string>, value: number, prefix: string) =>
  (e[value] ?? String(value)).replace(prefix, "").toLowerCase();

export function printReservations(reservations: Reservation[]): void {
  printTable(
    ["reservation", "reference", "status", "expires at", "line", "sku", "quantity", "line status"],
    reservations.flatMap((r) =>
      r.lines.map((line) => [
        r.reservationId,
        `${r.reference?.type ?? ""}:${r.reference?.id ?? ""}`,
        enumName(ReservationStatus, r.status, ""),
        r.expiresAt ? timestampDate(r.expiresAt).toISOString() : "",
        line.lineNumber,
        line.sku,
        line.quantity,
        enumName(LineStatus, line.status, ""),
      ]),
    ),
    "no reservations found",
  );
}

export function registerReservationCommands(program: Command, run: RunAction): void {
  const reservations = program.command("reservations").description("reservations");
  reservations
    .command("find")
    .description("a reservation by its id, or by the cart or order it was made for")
    .option("--id <uuid>", "reservation id")
    .option("--reference <type:id>", "what the reservation was made for, e.g. cart:c-42", reference)
    .action(
      run(async (ctx, command) => {
        const o = command.opts<{ id?: string; reference?: { type: string; id: string } }>();
        if ((o.id === undefined) === (o.reference === undefined)) {
          throw usageError("give exactly one of --id <uuid> or --reference <type:id>");
        }
        if (o.id === undefined) throw usageError(FIND_BY_REFERENCE_UNSUPPORTED);
        const response = await ctx.warehouse().getReservation({ reservationId: o.id });
        const found = response.reservation ? [response.reservation] : [];
        if (ctx.config.json) {
          printJson({ reservations: found.map((r) => toJson(ReservationSchema, r)) });
          return;
        }
        printReservations(found);
      }),
    );
}
