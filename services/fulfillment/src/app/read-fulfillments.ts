// The ops queries (and a storefront's view of its customer's returns): a fulfillment, pages of
// fulfillments, a pick list and its CSV, a return, the returns awaiting action.
import { ErrorReason, notFound } from "@stockroom/errors";
import {
  type FulfillmentFilter,
  type FulfillmentView,
  findFulfillmentView,
  listFulfillmentIds,
} from "../data/fulfillment-view.repo.ts";
import { findPickList, type PickListRow } from "../data/pick-list.repo.ts";
import { findReturn, listReturnIds, type ReturnRow } from "../data/return.repo.ts";
import { RETURN_STATUSES_AWAITING_ACTION, type ReturnStatus } from "../domain/return-rules.ts";
import type { UseCaseDeps } from "./use-case-deps.ts";

// The read models the transports encode.
export type { FulfillmentView } from "../data/fulfillment-view.repo.ts";
export type { PackageRow } from "../data/package.repo.ts";
export type { PickListRow } from "../data/pick-list.repo.ts";
export type { ReturnRow } from "../data/return.repo.ts";

export interface Page<T> {
  items: T[];
  // The last item's id when there may be more.
  nextAfterId?: string | undefined;
}

const CSV_HEADER =
  "line_number,bin_code,zone,aisle,position,pick_sequence,sku,lot_code,quantity,picked,short,status,fulfillment_id,order_line_number";
const CSV_ROWS_PER_CHUNK = 200;

function csvField(value: string | number): string {
  const text = String(value);
  return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function readFulfillmentsUseCases(deps: UseCaseDeps) {
  async function getFulfillment(fulfillmentId: string): Promise<FulfillmentView> {
    const view = await findFulfillmentView(deps.db, fulfillmentId);
    if (!view) throw notFound(ErrorReason.FULFILLMENT_NOT_FOUND, `fulfillment ${fulfillmentId} not found`);
    return view;
  }
  async function getPickList(pickListId: string): Promise<PickListRow> {
    const list = await findPickList(deps.db, pickListId);
    if (!list) throw notFound(ErrorReason.PICK_LIST_NOT_FOUND, `pick list ${pickListId} not found`);
    return list;
  }
  return {
    getFulfillment,
    async listFulfillments(
      filter: FulfillmentFilter,
      page: { size: number; afterId?: string | undefined },
    ): Promise<Page<FulfillmentView>> {
      const ids = await listFulfillmentIds(deps.db, filter, page);
      const items: FulfillmentView[] = [];
      for (const id of ids) {
        const view = await findFulfillmentView(deps.db, id);
        if (view) items.push(view);
      }
      return { items, nextAfterId: ids.length === page.size ? ids.at(-1) : undefined };
    },
    getPickList,
    // The header first, then rows in route order, CSV_ROWS_PER_CHUNK rows a chunk.
    async *exportPickList(pickListId: string): AsyncGenerator<string> {
      const list = await getPickList(pickListId);
      let chunk = `${CSV_HEADER}\n`;
      let rows = 0;
      for (const l of list.lines) {
        const row = [
          l.lineNumber,
          l.binCode,
          l.zone,
          l.aisle,
          l.position,
          l.pickSequence,
          l.sku,
          l.lotCode,
          l.quantity,
          l.picked,
          l.short,
          l.status,
          l.fulfillmentId,
          l.orderLineNumber,
        ];
        chunk += `${row.map(csvField).join(",")}\n`;
        rows += 1;
        if (rows % CSV_ROWS_PER_CHUNK === 0) {
          yield chunk;
          chunk = "";
        }
      }
      if (chunk !== "") yield chunk;
    },
    // customerId: the storefront's customer; another customer's return is not found.
    async getReturn(returnId: string, customerId?: string): Promise<ReturnRow> {
      const found = await findReturn(deps.db, returnId);
      if (!found || (customerId !== undefined && found.customerId !== customerId)) {
        throw notFound(ErrorReason.RETURN_NOT_FOUND, `return ${returnId} not found`);
      }
      return found;
    },
    async listReturnsAwaitingAction(
      filter: { statuses: readonly ReturnStatus[]; warehouseCode?: string | undefined },
      page: { size: number; afterId?: string | undefined },
    ): Promise<Page<ReturnRow>> {
      const statuses = filter.statuses.length > 0 ? filter.statuses : RETURN_STATUSES_AWAITING_ACTION;
      const ids = await listReturnIds(deps.db, { ...filter, statuses }, page);
      const items: ReturnRow[] = [];
      for (const id of ids) {
        const r = await findReturn(deps.db, id);
        if (r) items.push(r);
      }
      return { items, nextAfterId: ids.length === page.size ? ids.at(-1) : undefined };
    },
  };
}
