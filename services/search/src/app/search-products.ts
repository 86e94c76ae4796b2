// Search and Suggest: hand a validated query to the engine; turn the engine's sort key into the next
// page token and a token it cannot use into INVALID_ARGUMENT on page_token.
import { invalidArgument } from "@stockroom/errors";
import {
  decodePageToken,
  encodePageToken,
  type PageScope,
  PageTokenInvalidError,
} from "../domain/page-token.ts";
import type { SearchQuery, SearchResult, Suggestion } from "../domain/search-document.ts";
import { InvalidSortKeyError } from "../domain/search-errors.ts";
import type { SearchEngine } from "./ports/search-engine.ts";

export type SearchCommand = Omit<SearchQuery, "after" | "priceBucketBounds"> & { pageToken: string };

export interface SearchAnswer extends SearchResult {
  nextPageToken: string;
}

function afterFromToken(scope: PageScope, token: string) {
  if (token === "") return undefined;
  try {
    return decodePageToken(scope, token);
  } catch (err) {
    if (err instanceof PageTokenInvalidError)
      throw invalidArgument("page_token", `page_token ${err.message}`);
    throw err;
  }
}

export function searchProductsUseCase(engine: SearchEngine, settings: { priceBucketBounds: number[] }) {
  return async function searchProducts(command: SearchCommand): Promise<SearchAnswer> {
    const { pageToken, ...rest } = command;
    const scope: PageScope = { text: rest.text, filters: rest.filters, sort: rest.sort };
    const query: SearchQuery = {
      ...rest,
      after: afterFromToken(scope, pageToken),
      priceBucketBounds: settings.priceBucketBounds,
    };
    let result: SearchResult;
    try {
      result = await engine.search(query);
    } catch (err) {
      if (err instanceof InvalidSortKeyError) {
        throw invalidArgument("page_token", "page_token is not a token this service issued");
      }
      throw err;
    }
    return {
      ...result,
      nextPageToken: result.nextAfter ? encodePageToken(scope, result.nextAfter) : "",
    };
  };
}

export function suggestProductsUseCase(engine: SearchEngine) {
  return async function suggestProducts(command: { prefix: string; limit: number }): Promise<Suggestion[]> {
    return engine.suggest(command.prefix, command.limit);
  };
}
