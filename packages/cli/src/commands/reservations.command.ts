// stockroom reservations find --id UUID | --reference type:id [--status S]
// By id this is GetReservation; by reference (and status) the admin ListReservations, every page of it.

import { toJson } from "@bufbuild/protobuf";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import {
  LineStatus,
  type Reservation,
  ReservationSchema,
  ReservationStatus,
} from "@stockroom/proto/stockroom/warehouse/v1/stock_pb.js";
import type { Command } from "commander";
import type { CliContext } from "../cli-context.ts";
import { usageError } from "../exit-codes.ts";
import { reference } from "../option-parsers.ts";
import { printJson, printTable } from "../output.ts";
import type { RunAction } from "../program.ts";

async function getById(ctx: CliContext, reservationId: string): Promise<Reservation[]> {
  const { reservation } = await ctx.warehouse().getReservation({ reservationId });
  return reservation ? [reservation] : [];
}

// Newest first, following next_page_token to the last page.
async function listByReference(
  ctx: CliContext,
  reference: { type: string; id: string },
): Promise<Reservation[]> {
  const found: Reservation[] = [];
  let pageToken = "";
  do {
    const page = await ctx.warehouseAdmin().listReservations({ reference, pageSize: 500, pageToken });
    found.push(...page.reservations);
    pageToken = page.nextPageToken;
  } while (pageToken !== "");
  return found;
}

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
        const found = o.reference ? await listByReference(ctx, o.reference) : await getById(ctx, o.id ?? "");
        if (ctx.config.json) {
          printJson({ reservations: found.map((r) => toJson(ReservationSchema, r)) });
          return;
        }
        printReservations(found);
      }),
    );
}
