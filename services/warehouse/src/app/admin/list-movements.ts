// ListMovements: the ledger filtered and paged by keyset (movement ids ascending; the page token is the
// last id of the page, base64url-encoded so clients treat it as opaque). ExportMovements walks the same
// pages and yields CSV chunks: a header row, then one row per movement.
import { invalidArgument } from "@stockroom/errors";
import { findMovements } from "../../data/movement.repo.ts";
import type { MovementFilter, MovementRow } from "../../domain/stock-movement.ts";
import type { UseCaseDeps } from "../use-case-deps.ts";

export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 1000;
const EXPORT_PAGE_SIZE = 500;

export interface ListMovementsQuery extends MovementFilter {
  pageSize: number;
  pageToken: string;
}

export interface MovementPage {
  movements: MovementRow[];
  // Empty on the last page.
  nextPageToken: string;
}

export function encodePageToken(lastMovementId: number): string {
  return Buffer.from(`m:${lastMovementId}`).toString("base64url");
}

export function decodePageToken(token: string): number {
  if (token === "") return 0;
  const match = /^m:(\d{1,18})$/.exec(Buffer.from(token, "base64url").toString("utf8"));
  if (!match) throw invalidArgument("page_token", "page_token is not a token this service issued");
  return Number(match[1]);
}

function pageSizeOf(requested: number): number {
  if (!Number.isInteger(requested) || requested < 0)
    throw invalidArgument("page_size", "must not be negative");
  return requested === 0 ? DEFAULT_PAGE_SIZE : Math.min(requested, MAX_PAGE_SIZE);
}

function checkRange(filter: MovementFilter): void {
  if (filter.from && filter.to && filter.from >= filter.to) throw invalidArgument("to", "must be after from");
}

export function listMovementsUseCase(deps: UseCaseDeps) {
  return async function listMovements(query: ListMovementsQuery): Promise<MovementPage> {
    checkRange(query);
    const limit = pageSizeOf(query.pageSize);
    // One extra row tells whether another page exists without a second query.
    const rows = await findMovements(deps.db, query, {
      afterId: decodePageToken(query.pageToken),
      limit: limit + 1,
    });
    const movements = rows.slice(0, limit);
    const last = movements.at(-1);
    return { movements, nextPageToken: rows.length > limit && last ? encodePageToken(last.movementId) : "" };
  };
}

export const CSV_HEADER = [
  "movement_id",
  "occurred_at",
  "warehouse_code",
  "sku",
  "lot_code",
  "reason",
  "actor",
  "reference_type",
  "reference_id",
  "on_hand_delta",
  "reserved_delta",
  "committed_delta",
  "safety_stock_delta",
  "damaged_delta",
  "quality_control_delta",
  "incoming_delta",
  "on_hand_after",
  "reserved_after",
  "committed_after",
  "safety_stock_after",
  "damaged_after",
  "quality_control_after",
  "incoming_after",
  "note",
] as const;

// RFC 4180: quote fields holding a comma, quote or line break, doubling inner quotes. A leading
// formula character in text is quoted too so spreadsheets do not evaluate actor, reference or note text;
// numbers (signed deltas) stay bare.
export function csvField(value: string | number): string {
  if (typeof value === "number") return String(value);
  const text = value;
  if (/[",\r\n]/.test(text) || /^[=+\-@]/.test(text)) return `"${text.replaceAll('"', '""')}"`;
  return text;
}

export function csvRow(fields: (string | number)[]): string {
  return `${fields.map(csvField).join(",")}\r\n`;
}

function movementCsvRow(m: MovementRow): string {
  const d = m.deltas;
  const a = m.after;
  return csvRow([
    m.movementId,
    m.occurredAt.toISOString(),
    m.warehouseCode,
    m.sku,
    m.lotCode ?? "",
    m.reason,
    m.actor,
    m.referenceType,
    m.referenceId,
    d.onHand,
    d.reserved,
    d.committed,
    d.safetyStock,
    d.damaged,
    d.qualityControl,
    d.incoming,
    a.onHand,
    a.reserved,
    a.committed,
    a.safetyStock,
    a.damaged,
    a.qualityControl,
    a.incoming,
    m.note ?? "",
  ]);
}

export function exportMovementsUseCase(deps: UseCaseDeps) {
  // Page token and size of the filter are honoured as a starting point; the export runs to the end.
  return async function* exportMovements(
    filter: MovementFilter & { pageToken?: string },
  ): AsyncGenerator<string> {
    checkRange(filter);
    let afterId = decodePageToken(filter.pageToken ?? "");
    yield csvRow([...CSV_HEADER]);
    for (;;) {
      const rows = await findMovements(deps.db, filter, { afterId, limit: EXPORT_PAGE_SIZE });
      if (rows.length > 0) yield rows.map(movementCsvRow).join("");
      const last = rows.at(-1);
      if (rows.length < EXPORT_PAGE_SIZE || !last) return;
      afterId = last.movementId;
    }
  };
}
