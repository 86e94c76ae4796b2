// Applies the catalog's product events to the index, in the consumer's transaction (next to its
// event_processing_log row and aggregate-version guard). A product change upserts the whole document
// with the sku's current stock sum and stored rating, read under the sum's row lock so no stock or
// rating write can slip between the read and the engine write; a price change is a partial update. The engine's guards make a
// redelivered or overtaken event change nothing.
import type { Transaction } from "kysely";
import type { SearchDatabase } from "../data/database.ts";
import { ratingsOf } from "../data/ratings.repo.ts";
import { lockSkuStock } from "../data/stock.repo.ts";
import type { PriceUpdate, ProductFields, WriteOutcome } from "../domain/search-document.ts";
import type { UseCaseDeps } from "./use-case-deps.ts";

export function applyProductChangedUseCase(deps: Pick<UseCaseDeps, "engine">) {
  return async function applyProductChanged(
    trx: Transaction<SearchDatabase>,
    product: ProductFields,
  ): Promise<WriteOutcome> {
    const stock = (await lockSkuStock(trx, [product.sku])).get(product.sku) ?? {
      available: 0,
      stockVersion: 0,
    };
    const rating = (await ratingsOf(trx, [product.sku])).get(product.sku);
    const [outcome] = await deps.engine.upsertDocuments([{ product, stock, rating }]);
    return outcome ?? "stale";
  };
}

export function applyPriceChangedUseCase(deps: Pick<UseCaseDeps, "engine">) {
  return async function applyPriceChanged(
    trx: Transaction<SearchDatabase>,
    update: PriceUpdate,
  ): Promise<WriteOutcome> {
    // Same lock as a product change, so a price change and a product change of one sku apply in order.
    await lockSkuStock(trx, [update.sku]);
    const [outcome] = await deps.engine.updatePrice([update]);
    return outcome ?? "stale";
  };
}
