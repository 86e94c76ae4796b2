// CatalogAdminService over gRPC (ops and admin): decode and validate, call one use case, encode.
import type { CallContext, ServiceImpl, ServicePolicy } from "@stockroom/grpc";
import type { CatalogAdminService } from "@stockroom/proto/stockroom/catalog/v1/catalog_admin_service_pb.js";
import type {
  createArchiveProduct,
  createChangePrice,
  createCreateProduct,
  createUpdateProduct,
} from "../../app/admin/product-commands.ts";
import { productMessage } from "../../app/product-message.ts";
import type { createRebuildAvailability } from "../../app/rebuild-availability.ts";
import type { RequestContext } from "../../app/use-case-deps.ts";
import * as validate from "./validate.ts";

export interface CatalogAdminUseCases {
  createProduct: ReturnType<typeof createCreateProduct>;
  updateProduct: ReturnType<typeof createUpdateProduct>;
  archiveProduct: ReturnType<typeof createArchiveProduct>;
  changePrice: ReturnType<typeof createChangePrice>;
  rebuildAvailability: ReturnType<typeof createRebuildAvailability>;
}

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
  };
}

const optionalText = (value: string | undefined, field: string, max: number, required = false) =>
  value === undefined ? undefined : validate.text(value, field, { max, required });

export function createCatalogAdminHandler(
  useCases: CatalogAdminUseCases,
): ServiceImpl<typeof CatalogAdminService> {
  return {
    async createProduct(request, ctx) {
      const product = await useCases.createProduct(requestContextFrom(ctx), {
        idempotencyKey: validate.idempotencyKey(request.idempotencyKey),
        sku: validate.sku(request.sku),
        name: validate.text(request.name, "name", { required: true, max: 200 }),
        description: validate.text(request.description, "description", { max: 10_000 }),
        brand: validate.text(request.brand, "brand", { max: 100 }),
        categoryPath: validate.categoryPath(request.categoryPath),
        attributes: validate.attributes(request.attributes),
        price: validate.price(request.price),
        status: validate.writableStatus(request.status, "draft"),
      });
      return { product: productMessage(product) };
    },
    async updateProduct(request, ctx) {
      const product = await useCases.updateProduct(requestContextFrom(ctx), {
        idempotencyKey: validate.idempotencyKey(request.idempotencyKey),
        sku: validate.sku(request.sku),
        expectedVersion: validate.expectedVersion(request.expectedVersion),
        name: optionalText(request.name, "name", 200, true),
        description: optionalText(request.description, "description", 10_000),
        brand: optionalText(request.brand, "brand", 100),
        categoryPath:
          request.categoryPath === undefined ? undefined : validate.categoryPath(request.categoryPath),
        attributes: request.attributes ? validate.attributes(request.attributes) : undefined,
        status: validate.writableStatus(request.status, undefined),
      });
      return { product: productMessage(product) };
    },
    async archiveProduct(request, ctx) {
      const product = await useCases.archiveProduct(requestContextFrom(ctx), {
        idempotencyKey: validate.idempotencyKey(request.idempotencyKey),
        sku: validate.sku(request.sku),
      });
      return { product: productMessage(product) };
    },
    async changePrice(request, ctx) {
      const product = await useCases.changePrice(requestContextFrom(ctx), {
        idempotencyKey: validate.idempotencyKey(request.idempotencyKey),
        sku: validate.sku(request.sku),
        price: validate.price(request.price),
        expectedVersion: validate.expectedVersion(request.expectedVersion),
      });
      return { product: productMessage(product) };
    },
    async rebuildAvailability(request, ctx) {
      const result = await useCases.rebuildAvailability(requestContextFrom(ctx), {
        idempotencyKey: validate.idempotencyKey(request.idempotencyKey),
        skus: validate.skuList(request.skus, "skus", { allowEmpty: true }),
      });
      return {
        skusRebuilt: BigInt(result.skusRebuilt),
        rowsWritten: BigInt(result.rowsWritten),
        rowsRemoved: BigInt(result.rowsRemoved),
      };
    },
  };
}
