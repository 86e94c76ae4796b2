// The steps every admin write shares: lock the product, refuse archived ones, write the change and its
// event in one transaction, then move the cache past the new projection version.
import { ErrorReason, failedPrecondition, notFound } from "@stockroom/errors";
import { fingerprintOf, runIdempotent } from "@stockroom/idempotency";
import { appendToOutbox, type OutboxEvent } from "@stockroom/outbox";
import type { Transaction } from "kysely";
import type { CatalogDatabase } from "../../data/database.ts";
import { findProductForUpdate } from "../../data/product.repo.ts";
import { projectionVersion } from "../../data/product-view.repo.ts";
import { canChange, type Product } from "../../domain/product.ts";
import type { RequestContext, UseCaseDeps } from "../use-case-deps.ts";
import { productJsonCodec } from "./product-json.ts";

export async function lockChangeableProduct(
  trx: Transaction<CatalogDatabase>,
  sku: string,
  expectedVersion: number | undefined,
): Promise<Product> {
  const product = await findProductForUpdate(trx, sku);
  if (!product) throw notFound(ErrorReason.PRODUCT_NOT_FOUND, `product ${sku} not found`, { sku });
  if (!canChange(product.status)) {
    throw failedPrecondition(ErrorReason.INVALID_STATE_TRANSITION, `product ${sku} is archived`, { sku });
  }
  if (expectedVersion !== undefined && expectedVersion !== product.version) {
    throw failedPrecondition(
      ErrorReason.CONCURRENT_MODIFICATION,
      `product ${sku} is at version ${product.version}, not ${expectedVersion}`,
      { sku, version: String(product.version) },
    );
  }
  return product;
}

// Runs write (idempotently by key) with its events in one transaction; after commit, invalidates the cache.
export async function writeProduct(
  deps: UseCaseDeps,
  request: { operation: string; idempotencyKey: string; input: unknown; sku: string },
  context: RequestContext,
  write: (trx: Transaction<CatalogDatabase>) => Promise<{ product: Product; events: OutboxEvent[] }>,
): Promise<Product> {
  const { product, version } = await deps.transaction(async (trx) => {
    const written = await runIdempotent(
      trx,
      {
        principal: context.principal,
        operation: request.operation,
        key: request.idempotencyKey,
        fingerprint: fingerprintOf(request.input),
      },
      async () => {
        const result = await write(trx);
        await appendToOutbox(trx, context, result.events);
        return result.product;
      },
      { codec: productJsonCodec },
    );
    return { product: written, version: await projectionVersion(trx, request.sku) };
  }, context);
  // After commit: readers that loaded the old row can no longer store it (the tombstone refuses it).
  await deps.cache?.invalidate(request.sku, version);
  return product;
}
