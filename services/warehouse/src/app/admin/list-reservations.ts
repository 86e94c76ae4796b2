// ListReservations: the ops lookup of reservations by reference (a cart, an order) and by status, newest
// first, paged by keyset on the reservation id (the page token is the last id, base64url-encoded so
// clients treat it as opaque).
import { invalidArgument } from "@stockroom/errors";
import {
  findLinesOfReservations,
  findReservationPage,
  type ReservationLookup,
  toReservationView,
} from "../../data/reservation.repo.ts";
import type { ReservationView } from "../../domain/reservation.ts";
import type { UseCaseDeps } from "../use-case-deps.ts";

export const DEFAULT_RESERVATION_PAGE_SIZE = 50;
export const MAX_RESERVATION_PAGE_SIZE = 500;
const ID_PATTERN = /^r:([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;

export interface ListReservationsQuery extends ReservationLookup {
  pageSize: number;
  pageToken: string;
}

export interface ReservationPage {
  reservations: ReservationView[];
  // Empty on the last page.
  nextPageToken: string;
}

function encodePageToken(lastReservationId: string): string {
  return Buffer.from(`r:${lastReservationId}`).toString("base64url");
}

function decodePageToken(token: string): string | undefined {
  if (token === "") return undefined;
  const match = ID_PATTERN.exec(Buffer.from(token, "base64url").toString("utf8"));
  if (!match) throw invalidArgument("page_token", "page_token is not a token this service issued");
  return match[1];
}

function pageSizeOf(requested: number): number {
  if (!Number.isInteger(requested) || requested < 0) {
    throw invalidArgument("page_size", "page_size must not be negative");
  }
  return requested === 0 ? DEFAULT_RESERVATION_PAGE_SIZE : Math.min(requested, MAX_RESERVATION_PAGE_SIZE);
}

export function listReservationsUseCase(deps: UseCaseDeps) {
  return async function listReservations(query: ListReservationsQuery): Promise<ReservationPage> {
    const limit = pageSizeOf(query.pageSize);
    const beforeId = decodePageToken(query.pageToken);
    // One extra row tells whether another page exists without a second query.
    const headers = await findReservationPage(deps.db, query, { beforeId, limit: limit + 1 });
    const page = headers.slice(0, limit);
    const linesOf = await findLinesOfReservations(
      deps.db,
      page.map((header) => header.reservationId),
    );
    const reservations = page.map((header) => {
      const { lines, allocations } = linesOf.get(header.reservationId) ?? { lines: [], allocations: [] };
      return toReservationView(header, lines, allocations);
    });
    const last = page.at(-1);
    return {
      reservations,
      nextPageToken: headers.length > limit && last ? encodePageToken(last.reservationId) : "",
    };
  };
}
