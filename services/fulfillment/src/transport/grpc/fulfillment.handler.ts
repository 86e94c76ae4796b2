// FulfillmentService over gRPC (and Connect): each RPC validates its request, calls one use case,
// encodes. Floor operations and queries are for ops (and admin); RequestReturn and GetReturn also serve
// a storefront acting for one customer (customer_id, required for it), which sees only that customer's.
import { collectViolations, invalidArgument, permissionDenied } from "@stockroom/errors";
import { type CallContext, type ServiceImpl, type ServicePolicy, timestampInput } from "@stockroom/grpc";
import type { FulfillmentService } from "@stockroom/proto/stockroom/fulfillment/v1/fulfillment_service_pb.js";
import type { UseCases } from "../../app/build-use-cases.ts";
import type { PackageRow } from "../../app/read-fulfillments.ts";
import type { RequestContext } from "../../app/use-case-deps.ts";
import {
  encodeFulfillment,
  encodePackage,
  encodePickList,
  encodeReturn,
  FULFILLMENT_STATUS_FROM_PROTO,
  QC_OUTCOME_FROM_PROTO,
  RETURN_CONDITION_FROM_PROTO,
  RETURN_REASON_FROM_PROTO,
  RETURN_STATUS_FROM_PROTO,
} from "./fulfillment-mapping.ts";
import * as validate from "./validate.ts";

const FLOOR = ["ops", "admin"] as const;
const CUSTOMER_RETURNS = ["storefront", "ops", "admin"] as const;

export const FULFILLMENT_POLICY: ServicePolicy<typeof FulfillmentService> = {
  buildWave: FLOOR,
  getPickList: FLOOR,
  confirmPick: FLOOR,
  reportShortPick: FLOOR,
  packFulfillment: FLOOR,
  recordQcResults: FLOOR,
  shipFulfillment: FLOOR,
  confirmDelivery: FLOOR,
  getFulfillmentOrder: FLOOR,
  listFulfillmentOrders: FLOOR,
  exportPickList: FLOOR,
  requestReturn: CUSTOMER_RETURNS,
  authorizeReturn: FLOOR,
  rejectReturn: FLOOR,
  receiveReturn: FLOOR,
  inspectReturn: FLOOR,
  getReturn: CUSTOMER_RETURNS,
  listReturnsAwaitingAction: FLOOR,
};

const MAX_WAVE_ORDERS = 500;
const DEFAULT_WAVE_ORDERS = 50;
const MAX_DIMENSION_MM = 10_000;
const MAX_WEIGHT_GRAMS = 1_000_000;

export function requestContextFrom(ctx: CallContext): RequestContext {
  const subject = ctx.principal?.subject ?? "anonymous";
  return {
    producer: "fulfillment",
    actor: subject,
    principal: subject,
    correlationId: ctx.requestId,
    traceId: ctx.traceId,
  };
}

// A storefront acts for the customer it names (required); ops and admin see every customer's.
function customerScope(ctx: CallContext, customerId: string): string | undefined {
  const roles = ctx.principal?.roles ?? [];
  const privileged = roles.includes("ops") || roles.includes("admin");
  if (privileged) return customerId === "" ? undefined : customerId;
  if (customerId === "")
    throw invalidArgument("customer_id", "customer_id is required for a storefront caller");
  if (customerId.length > 128)
    throw invalidArgument("customer_id", "customer_id must be at most 128 characters");
  if (!roles.includes("storefront")) throw permissionDenied("only a storefront acts for a customer");
  return customerId;
}

export function createFulfillmentHandler(useCases: UseCases): ServiceImpl<typeof FulfillmentService> {
  const { floor, returns, queries } = useCases;
  return {
    async buildWave(request, ctx) {
      const command = collectViolations((check) => ({
        idempotencyKey: check(() => validate.idempotencyKey(request.idempotencyKey)),
        warehouseCode: check(() => validate.warehouseCode(request.warehouseCode)),
        maxOrders:
          request.maxOrders === 0
            ? DEFAULT_WAVE_ORDERS
            : check(() => validate.positiveInt(request.maxOrders, "max_orders", MAX_WAVE_ORDERS)),
        fulfillmentIds:
          request.fulfillmentIds.length === 0
            ? undefined
            : [
                ...new Set(
                  request.fulfillmentIds.map((id, i) =>
                    check(() => validate.uuid(id, `fulfillment_ids[${i}]`)),
                  ),
                ),
              ],
      }));
      return { pickList: encodePickList(await floor.buildWave(command, requestContextFrom(ctx))) };
    },
    async getPickList(request) {
      return {
        pickList: encodePickList(
          await queries.getPickList(validate.uuid(request.pickListId, "pick_list_id")),
        ),
      };
    },
    async confirmPick(request, ctx) {
      const command = collectViolations((check) => ({
        idempotencyKey: check(() => validate.idempotencyKey(request.idempotencyKey)),
        pickListId: check(() => validate.uuid(request.pickListId, "pick_list_id")),
        lineNumber: check(() => validate.positiveInt(request.lineNumber, "line_number")),
        scannedBinCode: check(() => validate.scanned(request.scannedBinCode, "scanned_bin_code")),
        scannedSku: check(() => validate.scanned(request.scannedSku, "scanned_sku")),
        quantity: check(() => validate.nonNegativeInt(request.quantity, "quantity", 1000)),
        warehouseCode: check(() => validate.optionalWarehouseCode(request.warehouseCode)),
      }));
      return { pickList: encodePickList(await floor.confirmPick(command, requestContextFrom(ctx))) };
    },
    async reportShortPick(request, ctx) {
      const command = collectViolations((check) => ({
        idempotencyKey: check(() => validate.idempotencyKey(request.idempotencyKey)),
        pickListId: check(() => validate.uuid(request.pickListId, "pick_list_id")),
        lineNumber: check(() => validate.positiveInt(request.lineNumber, "line_number")),
        scannedBinCode: check(() => validate.scanned(request.scannedBinCode, "scanned_bin_code")),
        foundQuantity: check(() => validate.nonNegativeInt(request.foundQuantity, "found_quantity", 1000)),
        reason: check(() => validate.text(request.reason, "reason", { required: true, max: 300 })),
        warehouseCode: check(() => validate.optionalWarehouseCode(request.warehouseCode)),
      }));
      return { pickList: encodePickList(await floor.reportShortPick(command, requestContextFrom(ctx))) };
    },
    async packFulfillment(request, ctx) {
      const command = collectViolations((check) => {
        if (!request.dimensions) throw invalidArgument("dimensions", "dimensions are required");
        const d = request.dimensions;
        return {
          idempotencyKey: check(() => validate.idempotencyKey(request.idempotencyKey)),
          fulfillmentId: check(() => validate.uuid(request.fulfillmentId, "fulfillment_id")),
          dimensions: {
            lengthMm: check(() => validate.positiveInt(d.lengthMm, "dimensions.length_mm", MAX_DIMENSION_MM)),
            widthMm: check(() => validate.positiveInt(d.widthMm, "dimensions.width_mm", MAX_DIMENSION_MM)),
            heightMm: check(() => validate.positiveInt(d.heightMm, "dimensions.height_mm", MAX_DIMENSION_MM)),
          },
          measuredWeightGrams: check(() =>
            validate.positiveInt(request.measuredWeightGrams, "measured_weight_grams", MAX_WEIGHT_GRAMS),
          ),
        };
      });
      const { packageId } = await floor.pack(command, requestContextFrom(ctx));
      const fulfillment = await queries.getFulfillment(command.fulfillmentId);
      return {
        fulfillment: encodeFulfillment(fulfillment),
        package: encodePackageOf(fulfillment, packageId),
      };
    },
    async recordQcResults(request, ctx) {
      const command = collectViolations((check) => ({
        idempotencyKey: check(() => validate.idempotencyKey(request.idempotencyKey)),
        packageId: check(() => validate.uuid(request.packageId, "package_id")),
        results: (check(() => validate.lineCount(request.results, "results")) ?? []).map((r, i) => ({
          orderLineNumber: check(() =>
            validate.positiveInt(r.orderLineNumber, `results[${i}].order_line_number`),
          ),
          unitIndex: check(() => validate.positiveInt(r.unitIndex, `results[${i}].unit_index`, 1000)),
          outcome: check(() => validate.enumValue(QC_OUTCOME_FROM_PROTO, r.outcome, `results[${i}].outcome`)),
          reason: check(() => validate.text(r.reason, `results[${i}].reason`, { max: 500 })),
        })),
        inspectorNote: check(() => validate.text(request.inspectorNote, "inspector_note", { max: 1000 })),
        replaceFailedUnits: !request.noReplacement,
      }));
      const { fulfillmentId } = await floor.recordQcResults(command, requestContextFrom(ctx));
      const fulfillment = await queries.getFulfillment(fulfillmentId);
      return {
        fulfillment: encodeFulfillment(fulfillment),
        package: encodePackageOf(fulfillment, command.packageId),
      };
    },
    async shipFulfillment(request, ctx) {
      const command = collectViolations((check) => ({
        idempotencyKey: check(() => validate.idempotencyKey(request.idempotencyKey)),
        fulfillmentId: check(() => validate.uuid(request.fulfillmentId, "fulfillment_id")),
        carrier: request.carrier,
        trackingNumber: request.trackingNumber,
      }));
      await floor.ship(command, requestContextFrom(ctx));
      return { fulfillment: encodeFulfillment(await queries.getFulfillment(command.fulfillmentId)) };
    },
    async confirmDelivery(request, ctx) {
      const command = collectViolations((check) => ({
        idempotencyKey: check(() => validate.idempotencyKey(request.idempotencyKey)),
        fulfillmentId: check(() => validate.uuid(request.fulfillmentId, "fulfillment_id")),
        deliveredAt: request.deliveredAt
          ? check(() => timestampInput(request.deliveredAt as never, "delivered_at"))
          : undefined,
      }));
      await floor.confirmDelivery(command, requestContextFrom(ctx));
      return { fulfillment: encodeFulfillment(await queries.getFulfillment(command.fulfillmentId)) };
    },
    async getFulfillmentOrder(request) {
      return {
        fulfillment: encodeFulfillment(
          await queries.getFulfillment(validate.uuid(request.fulfillmentId, "fulfillment_id")),
        ),
      };
    },
    async listFulfillmentOrders(request) {
      const query = collectViolations((check) => ({
        warehouseCode: check(() => validate.optionalWarehouseCode(request.warehouseCode)),
        statuses: request.statuses.map((s, i) =>
          check(() => validate.enumValue(FULFILLMENT_STATUS_FROM_PROTO, s, `statuses[${i}]`)),
        ),
        orderId: check(() => validate.optionalUuid(request.orderId, "order_id")),
        size: check(() => validate.pageSize(request.pageSize)),
        afterId: check(() => validate.pageToken(request.pageToken)),
      }));
      const page = await queries.listFulfillments(query, query);
      return {
        fulfillments: page.items.map(encodeFulfillment),
        nextPageToken: validate.encodePageToken(page.nextAfterId),
      };
    },
    async *exportPickList(request) {
      const encoder = new TextEncoder();
      for await (const chunk of queries.exportPickList(validate.uuid(request.pickListId, "pick_list_id"))) {
        yield { csvChunk: encoder.encode(chunk) };
      }
    },
    async requestReturn(request, ctx) {
      const command = collectViolations((check) => ({
        idempotencyKey: check(() => validate.idempotencyKey(request.idempotencyKey)),
        fulfillmentId: check(() => validate.uuid(request.fulfillmentId, "fulfillment_id")),
        customerId: check(() => customerScope(ctx, request.customerId)),
        lines: (check(() => validate.lineCount(request.lines, "lines")) ?? []).map((l, i) => ({
          orderLineNumber: check(() =>
            validate.positiveInt(l.orderLineNumber, `lines[${i}].order_line_number`),
          ),
          quantity: check(() => validate.positiveInt(l.quantity, `lines[${i}].quantity`, 1000)),
        })),
        reason: check(() => validate.enumValue(RETURN_REASON_FROM_PROTO, request.reason, "reason")),
        note: check(() => validate.text(request.note, "note", { max: 1000 })),
      }));
      return { return: encodeReturn(await returns.request(command, requestContextFrom(ctx))) };
    },
    async authorizeReturn(request, ctx) {
      const command = collectViolations((check) => ({
        idempotencyKey: check(() => validate.idempotencyKey(request.idempotencyKey)),
        returnId: check(() => validate.uuid(request.returnId, "return_id")),
      }));
      return { return: encodeReturn(await returns.authorize(command, requestContextFrom(ctx))) };
    },
    async rejectReturn(request, ctx) {
      const command = collectViolations((check) => ({
        idempotencyKey: check(() => validate.idempotencyKey(request.idempotencyKey)),
        returnId: check(() => validate.uuid(request.returnId, "return_id")),
        reason: check(() => validate.text(request.reason, "reason", { required: true, max: 500 })),
      }));
      return { return: encodeReturn(await returns.reject(command, requestContextFrom(ctx))) };
    },
    async receiveReturn(request, ctx) {
      const command = collectViolations((check) => ({
        idempotencyKey: check(() => validate.idempotencyKey(request.idempotencyKey)),
        returnId: check(() => validate.uuid(request.returnId, "return_id")),
        warehouseCode: check(() => validate.warehouseCode(request.warehouseCode)),
        lines: (check(() => validate.lineCount(request.lines, "lines")) ?? []).map((l, i) => ({
          orderLineNumber: check(() =>
            validate.positiveInt(l.orderLineNumber, `lines[${i}].order_line_number`),
          ),
          quantity: check(() => validate.nonNegativeInt(l.quantity, `lines[${i}].quantity`, 1000)),
        })),
      }));
      return { return: encodeReturn(await returns.receive(command, requestContextFrom(ctx))) };
    },
    async inspectReturn(request, ctx) {
      const command = collectViolations((check) => ({
        idempotencyKey: check(() => validate.idempotencyKey(request.idempotencyKey)),
        returnId: check(() => validate.uuid(request.returnId, "return_id")),
        dispositions: (check(() => validate.lineCount(request.dispositions, "dispositions")) ?? []).map(
          (d, i) => ({
            orderLineNumber: check(() =>
              validate.positiveInt(d.orderLineNumber, `dispositions[${i}].order_line_number`),
            ),
            condition: check(() =>
              validate.enumValue(RETURN_CONDITION_FROM_PROTO, d.condition, `dispositions[${i}].condition`),
            ),
            quantity: check(() => validate.positiveInt(d.quantity, `dispositions[${i}].quantity`, 1000)),
          }),
        ),
      }));
      return { return: encodeReturn(await returns.inspect(command, requestContextFrom(ctx))) };
    },
    async getReturn(request, ctx) {
      const { returnId, customerId } = collectViolations((check) => ({
        returnId: check(() => validate.uuid(request.returnId, "return_id")),
        customerId: check(() => customerScope(ctx, request.customerId)),
      }));
      return { return: encodeReturn(await queries.getReturn(returnId, customerId)) };
    },
    async listReturnsAwaitingAction(request) {
      const query = collectViolations((check) => ({
        warehouseCode: check(() => validate.optionalWarehouseCode(request.warehouseCode)),
        statuses: request.statuses.map((s, i) =>
          check(() => validate.enumValue(RETURN_STATUS_FROM_PROTO, s, `statuses[${i}]`)),
        ),
        size: check(() => validate.pageSize(request.pageSize)),
        afterId: check(() => validate.pageToken(request.pageToken)),
      }));
      const page = await queries.listReturnsAwaitingAction(query, query);
      return {
        returns: page.items.map(encodeReturn),
        nextPageToken: validate.encodePageToken(page.nextAfterId),
      };
    },
  };
}

function encodePackageOf(fulfillment: { packages: PackageRow[] }, packageId: string) {
  const parcel = fulfillment.packages.find((p) => p.packageId === packageId);
  return parcel ? encodePackage(parcel) : undefined;
}
