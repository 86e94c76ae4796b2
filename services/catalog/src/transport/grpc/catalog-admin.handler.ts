// CatalogAdminService over gRPC (ops and admin): decode and validate, call one use case, encode.
import { collectViolations } from "@stockroom/errors";
import type { CallContext, ServiceImpl, ServicePolicy } from "@stockroom/grpc";
import type { CatalogAdminService } from "@stockroom/proto/stockroom/catalog/v1/catalog_admin_service_pb.js";
import type { CatalogAdminUseCases } from "../../app/build-use-cases.ts";
import { productMessage } from "../../app/product-message.ts";
import type { RequestContext } from "../../app/use-case-deps.ts";
import * as validate from "./validate.ts";

const OPERATORS = ["ops", "admin"] as const;

export const CATALOG_ADMIN_POLICY: ServicePolicy<typeof CatalogAdminService> = {
  createProduct: OPERATORS,
  updateProduct: OPERATORS,
  archiveProduct: OPERATORS,
  changePrice: OPERATORS,
  rebuildAvailability: ["admin"],
};

export function requestContextFrom(ctx: CallContext): RequestContext {
  return {
    producer: "catalog",
    actor: ctx.principal?.subject ?? "anonymous",
    principal: ctx.principal?.subject ?? "anonymous",
    correlationId: ctx.requestId,
    traceId: ctx.traceId,
    traceparent: ctx.traceparent,
    deadline: ctx.deadline,
    // Read when first used: the pipeline makes the call's AbortController on demand.
    get signal() {
      return ctx.signal;
    },
  };
}

const optionalText = (value: string | undefined, field: string, max: number, required = false) =>
  value === undefined ? undefined : validate.text(value, field, { max, required });

export function createCatalogAdminHandler(
  useCases: CatalogAdminUseCases,
): ServiceImpl<typeof CatalogAdminService> {
  return {
    async createProduct(request, ctx) {
      const product = await useCases.createProduct(
        collectViolations((check) => ({
          idempotencyKey: check(() => validate.idempotencyKey(request.idempotencyKey)),
          sku: check(() => validate.sku(request.sku)),
          name: check(() => validate.text(request.name, "name", { required: true, max: 200 })),
          description: check(() => validate.text(request.description, "description", { max: 10_000 })),
          brand: check(() => validate.text(request.brand, "brand", { max: 100 })),
          categoryPath: check(() => validate.categoryPath(request.categoryPath)),
          attributes: check(() => validate.attributes(request.attributes)),
          price: check(() => validate.price(request.price)),
          status: check(() => validate.writableStatus(request.status, "draft")),
          weightGrams: check(() => validate.optionalWeightGrams(request.weightGrams)),
        })),
        requestContextFrom(ctx),
      );
      return { product: productMessage(product) };
    },
    async updateProduct(request, ctx) {
      const product = await useCases.updateProduct(
        collectViolations((check) => ({
          idempotencyKey: check(() => validate.idempotencyKey(request.idempotencyKey)),
          sku: check(() => validate.sku(request.sku)),
          expectedVersion: check(() => validate.expectedVersion(request.expectedVersion)),
          name: check(() => optionalText(request.name, "name", 200, true)),
          description: check(() => optionalText(request.description, "description", 10_000)),
          brand: check(() => optionalText(request.brand, "brand", 100)),
          categoryPath:
            request.categoryPath === undefined
              ? undefined
              : check(() => validate.categoryPath(request.categoryPath ?? "")),
          attributes: request.attributes ? check(() => validate.attributes(request.attributes)) : undefined,
          status: check(() => validate.writableStatus(request.status, undefined)),
          weightGrams: check(() => validate.optionalWeightGrams(request.weightGrams)),
        })),
        requestContextFrom(ctx),
      );
      return { product: productMessage(product) };
    },
    async archiveProduct(request, ctx) {
      const product = await useCases.archiveProduct(
        collectViolations((check) => ({
          idempotencyKey: check(() => validate.idempotencyKey(request.idempotencyKey)),
          sku: check(() => validate.sku(request.sku)),
        })),
        requestContextFrom(ctx),
      );
      return { product: productMessage(product) };
    },
    async changePrice(request, ctx) {
      const product = await useCases.changePrice(
        collectViolations((check) => ({
          idempotencyKey: check(() => validate.idempotencyKey(request.idempotencyKey)),
          sku: check(() => validate.sku(request.sku)),
          price: check(() => validate.price(request.price)),
          expectedVersion: check(() => validate.expectedVersion(request.expectedVersion)),
        })),
        requestContextFrom(ctx),
      );
      return { product: productMessage(product) };
    },
    async rebuildAvailability(request, ctx) {
      const result = await useCases.rebuildAvailability(
        collectViolations((check) => ({
          idempotencyKey: check(() => validate.idempotencyKey(request.idempotencyKey)),
          skus: check(() => validate.skuList(request.skus, "skus", { allowEmpty: true })),
        })),
        requestContextFrom(ctx),
      );
      return {
        skusRebuilt: BigInt(result.skusRebuilt),
        rowsWritten: BigInt(result.rowsWritten),
        rowsRemoved: BigInt(result.rowsRemoved),
      };
    },
  };
}
