// A catalog Product (from a catalog.product.v1 event or ListProducts) as the product part of a search
// document: attribute values as text, the price in minor units, the creation time at millisecond
// precision (what the "newest" sort's page keys carry).
import type { JsonValue } from "@bufbuild/protobuf";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { type Product, ProductStatus } from "@stockroom/proto/stockroom/catalog/v1/product_pb.js";
import type { ProductFields, ProductStatus as Status } from "../domain/search-document.ts";

const STATUSES: Record<number, Status | undefined> = {
  [ProductStatus.DRAFT]: "draft",
  [ProductStatus.ACTIVE]: "active",
  [ProductStatus.ARCHIVED]: "archived",
};

function valuesOf(value: JsonValue): string[] {
  if (value === null) return [];
  if (Array.isArray(value)) return value.flatMap(valuesOf);
  if (typeof value === "object") return [];
  return [String(value)];
}

export function attributesOf(attributes: Record<string, JsonValue> | undefined): Record<string, string[]> {
  const result: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(attributes ?? {})) {
    const values = valuesOf(value);
    if (values.length > 0) result[name] = values;
  }
  return result;
}

// undefined when the product lacks what a document needs (a status, a price, a version).
export function productFieldsOf(product: Product): ProductFields | undefined {
  const status = STATUSES[product.status];
  if (!status || !product.price || product.version < 1n || product.sku === "" || product.name === "")
    return undefined;
  const created = product.createdAt ? timestampDate(product.createdAt) : new Date(0);
  return {
    sku: product.sku,
    name: product.name,
    description: product.description,
    brand: product.brand,
    categoryPath: product.categoryPath,
    attributes: attributesOf(product.attributes),
    status,
    price: { amountMinor: Number(product.price.amountMinor), currency: product.price.currency },
    productVersion: Number(product.version),
    createdAt: new Date(Math.floor(created.getTime())),
  };
}
