// Input validators for SearchService: each checks one field and throws invalidArgument naming it, and
// every bad field of a request is reported (collectViolations), not only the first.
import { collectViolations, invalidArgument } from "@stockroom/errors";
import {
  Facet,
  type SearchFilters as ProtoFilters,
  SortOrder as ProtoSort,
  type SearchRequest,
  type SuggestRequest,
} from "@stockroom/proto/stockroom/search/v1/search_service_pb.js";
import type { SearchCommand } from "../../app/search-products.ts";
import type { FacetName, SearchFilters, SortOrder } from "../../domain/search-document.ts";

export const MAX_QUERY_LENGTH = 200;
export const MAX_PAGE_SIZE = 100;
export const DEFAULT_PAGE_SIZE = 20;
export const MAX_BRANDS = 50;
export const MAX_ATTRIBUTE_FILTERS = 10;
export const MAX_ATTRIBUTE_VALUES = 50;
export const MAX_PREFIX_LENGTH = 100;
export const MAX_SUGGESTIONS = 20;
export const DEFAULT_SUGGESTIONS = 8;
const CATEGORY_PATTERN = /^[a-z0-9][a-z0-9_-]*(\/[a-z0-9][a-z0-9_-]*)*$/;
const ATTRIBUTE_NAME_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;

const SORTS: Record<number, SortOrder | "default"> = {
  [ProtoSort.UNSPECIFIED]: "default",
  [ProtoSort.RELEVANCE]: "relevance",
  [ProtoSort.PRICE_ASCENDING]: "price_asc",
  [ProtoSort.PRICE_DESCENDING]: "price_desc",
  [ProtoSort.NEWEST]: "newest",
  [ProtoSort.RATING]: "rating",
};

const FACETS: Record<number, FacetName> = {
  [Facet.CATEGORY]: "category",
  [Facet.BRAND]: "brand",
  [Facet.PRICE]: "price",
  [Facet.IN_STOCK]: "in_stock",
};

// No control characters; the length counts characters as the client sent them.
export function queryText(value: string, field = "query"): string {
  if (value.length > MAX_QUERY_LENGTH) {
    throw invalidArgument(field, `${field} must be at most ${MAX_QUERY_LENGTH} characters`);
  }
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  if (/[\u0000-\u001f\u007f]/.test(value))
    throw invalidArgument(field, `${field} must not hold control characters`);
  return value.trim();
}

export function pageSize(value: number, field = "page_size"): number {
  if (value === 0) return DEFAULT_PAGE_SIZE;
  if (value < 0 || value > MAX_PAGE_SIZE) {
    throw invalidArgument(
      field,
      `${field} must be between 1 and ${MAX_PAGE_SIZE} (0 means ${DEFAULT_PAGE_SIZE})`,
    );
  }
  return value;
}

export function sort(value: ProtoSort, hasText: boolean, field = "sort"): SortOrder {
  const sort = SORTS[value];
  if (sort === undefined) throw invalidArgument(field, `${field} ${value} is not a known sort order`);
  if (sort === "default") return hasText ? "relevance" : "newest";
  return sort;
}

export function facets(values: readonly Facet[], field = "facets"): FacetName[] {
  const names = collectViolations((check) =>
    values.map((value, index) =>
      check(() => {
        const name = FACETS[value];
        if (name === undefined)
          throw invalidArgument(`${field}[${index}]`, `${field}[${index}] ${value} is not a known facet`);
        return name;
      }),
    ),
  );
  return [...new Set(names)];
}

export function pageToken(value: string, field = "page_token"): string {
  if (value.length > 1024) throw invalidArgument(field, `${field} is not a token this service issued`);
  return value;
}

function categoryPrefix(value: string, field: string): string | undefined {
  if (value === "") return undefined;
  if (!CATEGORY_PATTERN.test(value)) {
    throw invalidArgument(
      field,
      `${field} must be lower-case segments separated by '/' (${CATEGORY_PATTERN.source})`,
    );
  }
  return value;
}

function brands(values: readonly string[], field: string): string[] {
  if (values.length > MAX_BRANDS)
    throw invalidArgument(field, `${field} must hold at most ${MAX_BRANDS} brands`);
  return collectViolations((check) =>
    values.map((value, index) =>
      check(() => {
        const brand = value.trim();
        if (brand === "" || brand.length > 100) {
          throw invalidArgument(`${field}[${index}]`, `${field}[${index}] must be 1..100 characters`);
        }
        return brand.toLowerCase();
      }),
    ),
  );
}

function priceBound(value: bigint | undefined, field: string): number | undefined {
  if (value === undefined) return undefined;
  if (value < 0n || value > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw invalidArgument(field, `${field} must be between 0 and ${Number.MAX_SAFE_INTEGER}`);
  }
  return Number(value);
}

export function filters(value: ProtoFilters | undefined, field = "filters"): SearchFilters {
  const f: Pick<ProtoFilters, "categoryPathPrefix" | "brands" | "inStockOnly" | "attributes"> &
    Partial<Pick<ProtoFilters, "priceMinMinor" | "priceMaxMinor">> = value ?? {
    categoryPathPrefix: "",
    brands: [],
    inStockOnly: false,
    attributes: [],
  };
  const result = collectViolations((check) => ({
    categoryPathPrefix: check(() => categoryPrefix(f.categoryPathPrefix, `${field}.category_path_prefix`)),
    brands: check(() => brands(f.brands, `${field}.brands`)),
    priceMinMinor: check(() => priceBound(f.priceMinMinor, `${field}.price_min_minor`)),
    priceMaxMinor: check(() => priceBound(f.priceMaxMinor, `${field}.price_max_minor`)),
    inStockOnly: f.inStockOnly,
    attributes: check(() => {
      if (f.attributes.length > MAX_ATTRIBUTE_FILTERS) {
        throw invalidArgument(
          `${field}.attributes`,
          `${field}.attributes must hold at most ${MAX_ATTRIBUTE_FILTERS} filters`,
        );
      }
      return collectViolations((inner) =>
        f.attributes.map((attribute, index) => {
          const at = `${field}.attributes[${index}]`;
          return {
            name: inner(() => {
              if (!ATTRIBUTE_NAME_PATTERN.test(attribute.name)) {
                throw invalidArgument(`${at}.name`, `${at}.name must match ${ATTRIBUTE_NAME_PATTERN.source}`);
              }
              return attribute.name;
            }),
            values: inner(() => {
              if (attribute.values.length === 0 || attribute.values.length > MAX_ATTRIBUTE_VALUES) {
                throw invalidArgument(
                  `${at}.values`,
                  `${at}.values must hold 1..${MAX_ATTRIBUTE_VALUES} values`,
                );
              }
              if (attribute.values.some((v) => v.length > 200)) {
                throw invalidArgument(`${at}.values`, `${at}.values must each be at most 200 characters`);
              }
              return [...attribute.values];
            }),
          };
        }),
      );
    }),
  }));
  if (
    result.priceMinMinor !== undefined &&
    result.priceMaxMinor !== undefined &&
    result.priceMinMinor > result.priceMaxMinor
  ) {
    throw invalidArgument(
      `${field}.price_min_minor`,
      `${field}.price_min_minor must not exceed price_max_minor`,
    );
  }
  return result;
}

export function searchCommand(request: SearchRequest): SearchCommand {
  return collectViolations((check) => {
    const text = check(() => queryText(request.query));
    return {
      text,
      filters: check(() => filters(request.filters)),
      sort: check(() => sort(request.sort, (text ?? "") !== "")),
      pageSize: check(() => pageSize(request.pageSize)),
      pageToken: check(() => pageToken(request.pageToken)),
      facets: check(() => facets(request.facets)),
    };
  });
}

export function suggestCommand(request: SuggestRequest): { prefix: string; limit: number } {
  return collectViolations((check) => ({
    prefix: check(() => {
      const prefix = queryText(request.prefix, "prefix");
      if (prefix === "") throw invalidArgument("prefix", "prefix is required");
      if (prefix.length > MAX_PREFIX_LENGTH) {
        throw invalidArgument("prefix", `prefix must be at most ${MAX_PREFIX_LENGTH} characters`);
      }
      return prefix;
    }),
    limit: check(() => {
      if (request.limit === 0) return DEFAULT_SUGGESTIONS;
      if (request.limit < 0 || request.limit > MAX_SUGGESTIONS) {
        throw invalidArgument(
          "limit",
          `limit must be between 1 and ${MAX_SUGGESTIONS} (0 means ${DEFAULT_SUGGESTIONS})`,
        );
      }
      return request.limit;
    }),
  }));
}
