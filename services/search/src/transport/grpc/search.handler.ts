// SearchService over gRPC (and Connect): decode and validate, call one use case, encode.
import type { ServiceImpl, ServicePolicy } from "@stockroom/grpc";
import type { SearchService } from "@stockroom/proto/stockroom/search/v1/search_service_pb.js";
import type {
  SearchAnswer,
  searchProductsUseCase,
  suggestProductsUseCase,
} from "../../app/search-products.ts";
import type { SearchHit } from "../../domain/search-document.ts";
import * as validate from "./validate.ts";

const READERS = ["storefront", "ops", "admin", "service"] as const;

export const SEARCH_POLICY: ServicePolicy<typeof SearchService> = {
  search: READERS,
  suggest: READERS,
};

export interface SearchHandlerUseCases {
  searchProducts: ReturnType<typeof searchProductsUseCase>;
  suggestProducts: ReturnType<typeof suggestProductsUseCase>;
}

function hitMessage(hit: SearchHit) {
  return {
    sku: hit.sku,
    name: hit.name,
    brand: hit.brand,
    categoryPath: hit.categoryPath,
    price: { amountMinor: BigInt(hit.price.amountMinor), currency: hit.price.currency },
    inStock: hit.inStock,
    rating: hit.rating,
    ratingCount: BigInt(hit.ratingCount),
    highlights: hit.highlights.map((h) => ({ field: h.field, fragments: h.fragments })),
    score: hit.score,
  };
}

function facetsMessage(facets: NonNullable<SearchAnswer["facets"]>) {
  return {
    categories: facets.categories.map((c) => ({ value: c.value, count: BigInt(c.count) })),
    brands: facets.brands.map((b) => ({ value: b.value, count: BigInt(b.count) })),
    priceBuckets: facets.priceBuckets.map((b) => ({
      fromMinor: BigInt(b.fromMinor),
      toMinor: BigInt(b.toMinor ?? 0),
      hasUpper: b.toMinor !== undefined,
      count: BigInt(b.count),
    })),
    inStock: BigInt(facets.inStock),
    outOfStock: BigInt(facets.outOfStock),
  };
}

export function createSearchHandler(useCases: SearchHandlerUseCases): ServiceImpl<typeof SearchService> {
  return {
    async search(request) {
      const answer = await useCases.searchProducts(validate.searchCommand(request));
      return {
        hits: answer.hits.map(hitMessage),
        nextPageToken: answer.nextPageToken,
        totalHits: BigInt(answer.totalHits),
        ...(answer.facets && { facets: facetsMessage(answer.facets) }),
        noMatch: answer.noMatch,
        correctedQuery: answer.correctedQuery ?? "",
      };
    },
    async suggest(request) {
      const suggestions = await useCases.suggestProducts(validate.suggestCommand(request));
      return { suggestions };
    },
  };
}
