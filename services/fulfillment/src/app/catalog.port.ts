// What the fulfillment service asks of the catalog: the weight of a unit of each sku, for the pack
// weight check. transport/grpc/catalog.client.ts is the gRPC adapter.
export interface CatalogPort {
  // Grams per unit by sku; a sku the catalog does not know, or whose weight it does not know, is absent.
  unitWeights(skus: readonly string[]): Promise<Map<string, number>>;
}
