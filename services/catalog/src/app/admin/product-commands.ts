// Admin writes on products: create, update, archive, change price. Each emits its event through the outbox.
import { alreadyExists, ErrorReason, invalidArgument } from "@stockroom/errors";
import { insertProduct, saveProductChanges } from "../../data/product.repo.ts";
import { isValidPrice, type Price, type Product, type ProductStatus } from "../../domain/product.ts";
import { priceChanged, productChanged } from "../product-events.ts";
import type { RequestContext, UseCaseDeps } from "../use-case-deps.ts";
import { lockChangeableProduct, writeProduct } from "./product-writes.ts";

export interface CreateProductInput {
  idempotencyKey: string;
  sku: string;
  name: string;
  description: string;
  brand: string;
  categoryPath: string;
  attributes: Record<string, unknown>;
  price: Price;
  status: Exclude<ProductStatus, "archived">;
  weightGrams?: number | undefined;
}

function requireValidPrice(price: Price, field: string): void {
  if (!isValidPrice(price)) {
    throw invalidArgument(field, `${field} must be a non-negative amount in an upper-case ISO 4217 currency`);
  }
}

export function createProductUseCase(deps: UseCaseDeps) {
  return async function createProduct(input: CreateProductInput, context: RequestContext): Promise<Product> {
    requireValidPrice(input.price, "price");
    const { idempotencyKey, ...fields } = input;
    return writeProduct(
      deps,
      { operation: "create_product", idempotencyKey, input: fields, sku: input.sku },
      context,
      async (trx) => {
        const product = await insertProduct(trx, { ...fields, now: deps.clock() });
        if (!product) {
          throw alreadyExists(ErrorReason.ALREADY_EXISTS, `product ${input.sku} already exists`, {
            sku: input.sku,
          });
        }
        return { product, events: [productChanged(product, "ProductCreated")] };
      },
    );
  };
}

export interface UpdateProductInput {
  idempotencyKey: string;
  sku: string;
  expectedVersion?: number | undefined;
  name?: string | undefined;
  description?: string | undefined;
  brand?: string | undefined;
  categoryPath?: string | undefined;
  attributes?: Record<string, unknown> | undefined;
  status?: Exclude<ProductStatus, "archived"> | undefined;
  weightGrams?: number | undefined;
}

export function updateProductUseCase(deps: UseCaseDeps) {
  return async function updateProduct(input: UpdateProductInput, context: RequestContext): Promise<Product> {
    const { idempotencyKey, expectedVersion, sku, ...changes } = input;
    return writeProduct(
      deps,
      { operation: "update_product", idempotencyKey, input: { sku, expectedVersion, ...changes }, sku },
      context,
      async (trx) => {
        const before = await lockChangeableProduct(trx, sku, expectedVersion);
        const product = await saveProductChanges(trx, sku, changes, deps.clock());
        return { product, events: [productChanged(product, "ProductUpdated", before.status)] };
      },
    );
  };
}

export function archiveProductUseCase(deps: UseCaseDeps) {
  return async function archiveProduct(
    input: { idempotencyKey: string; sku: string },
    context: RequestContext,
  ): Promise<Product> {
    return writeProduct(
      deps,
      {
        operation: "archive_product",
        idempotencyKey: input.idempotencyKey,
        input: { sku: input.sku },
        sku: input.sku,
      },
      context,
      async (trx) => {
        const before = await lockChangeableProduct(trx, input.sku, undefined);
        const product = await saveProductChanges(trx, input.sku, { status: "archived" }, deps.clock());
        return { product, events: [productChanged(product, "ProductArchived", before.status)] };
      },
    );
  };
}

export function changePriceUseCase(deps: UseCaseDeps) {
  return async function changePrice(
    input: { idempotencyKey: string; sku: string; price: Price; expectedVersion?: number | undefined },
    context: RequestContext,
  ): Promise<Product> {
    requireValidPrice(input.price, "price");
    const { idempotencyKey, ...fields } = input;
    return writeProduct(
      deps,
      { operation: "change_price", idempotencyKey, input: fields, sku: input.sku },
      context,
      async (trx) => {
        const before = await lockChangeableProduct(trx, input.sku, input.expectedVersion);
        const product = await saveProductChanges(trx, input.sku, { price: input.price }, deps.clock());
        return { product, events: [priceChanged(product, before.price)] };
      },
    );
  };
}
