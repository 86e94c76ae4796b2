// CatalogService over gRPC: decode and validate, call one use case, encode.
import { collectViolations } from "@stockroom/errors";
import { EncodedMessage, type ServiceImpl, type ServicePolicy } from "@stockroom/grpc";
import {
  type CatalogService,
  GetProductResponseSchema,
} from "@stockroom/proto/stockroom/catalog/v1/catalog_service_pb.js";
import type { CatalogUseCases } from "../../app/build-use-cases.ts";
import { productMessage } from "../../app/product-message.ts";
import type { ProductView } from "../../domain/product-view.ts";
import * as validate from "./validate.ts";

const READERS = ["storefront", "ops", "admin", "service"] as const;

export const CATALOG_POLICY: ServicePolicy<typeof CatalogService> = {
  getProduct: READERS,
  batchGetProducts: READERS,
  listProducts: READERS,
};

// The message built for a view, kept as long as the view lives: the cache hands out the same (read-only)
// view while its bytes in Redis are unchanged, so a hot product is not rebuilt for every response.
const messageByView = new WeakMap<ProductView, ReturnType<typeof productMessage>>();

function encodeView(view: ProductView) {
  let message = messageByView.get(view);
  if (message === undefined) {
    message = productMessage(view.product, view.availability, view.rating);
    messageByView.set(view, message);
  }
  return message;
}

// GetProduct's whole response, encoded once per view the same way: encoding it per call was a real share
// of a cached GetProduct's CPU (docs/performance.md). Only the bytes are kept: a message per view (bigints, timestamps) held several KB
// per product in the heap that every old-space collection walks.
const getProductResponseByView = new WeakMap<ProductView, EncodedMessage<typeof GetProductResponseSchema>>();

function getProductResponse(view: ProductView) {
  let response = getProductResponseByView.get(view);
  if (response === undefined) {
    response = EncodedMessage.encode(GetProductResponseSchema, {
      product: messageByView.get(view) ?? productMessage(view.product, view.availability, view.rating),
    });
    getProductResponseByView.set(view, response);
  }
  return response;
}

export function createCatalogHandler(useCases: CatalogUseCases): ServiceImpl<typeof CatalogService> {
  return {
    async getProduct(request) {
      return getProductResponse(await useCases.getProduct(validate.sku(request.sku)));
    },
    async batchGetProducts(request) {
      const result = await useCases.batchGetProducts(validate.skuList(request.skus));
      return { products: result.products.map(encodeView), missingSkus: result.missingSkus };
    },
    async listProducts(request) {
      const result = await useCases.listProducts(
        collectViolations((check) => ({
          category: check(() => validate.categoryPath(request.category, "category")) || undefined,
          brand: check(() => validate.text(request.brand, "brand", { max: 100 })) || undefined,
          status: check(() => validate.listStatus(request.status)),
          inStockOnly: request.inStockOnly,
          pageSize: check(() => validate.pageSize(request.pageSize)),
          afterSku: check(() => validate.pageToken(request.pageToken)),
        })),
      );
      return {
        products: result.products.map(encodeView),
        nextPageToken: result.more && result.lastSku ? validate.encodePageToken(result.lastSku) : "",
      };
    },
  };
}
