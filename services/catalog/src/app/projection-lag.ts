// The projection's lag, stamped on every view at answer time (from the cache or the database alike):
// how far the consumer that feeds the availability projection trails the warehouse's events for the
// sku (0 when it has applied everything the broker holds), and as_of, when that answer was known current.
import type { ProductView } from "../domain/product-view.ts";
import type { ProductViewSource } from "./read-products.ts";

/** Port: how far the stock projection trails for one sku, now. */
export interface ProjectionLag {
  lagOf(sku: string): { lagMs: number; asOf: Date };
}

export function withProjectionLag(source: ProductViewSource, lag: ProjectionLag): ProductViewSource {
  return {
    async getMany(skus) {
      const views = await source.getMany(skus);
      const stamped = new Map<string, ProductView>();
      // New objects: a cache may hand out the same view to every reader.
      for (const [sku, view] of views) {
        const { lagMs, asOf } = lag.lagOf(sku);
        stamped.set(sku, { ...view, availability: { ...view.availability, lagMs, asOf } });
      }
      return stamped;
    },
  };
}
