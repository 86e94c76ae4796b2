// Helpers shared by the admin use-case tests.
import type { AppError } from "@stockroom/errors";
import type { AdminUseCases } from "../../src/app/build-use-cases.ts";
import type { RequestContext } from "../../src/app/use-case-deps.ts";
import { errorOf } from "./warehouse-fixture.ts";

export function caught(promise: Promise<unknown>): Promise<AppError> {
  return errorOf(() => promise);
}

export function idempotencyKeys(): () => string {
  let keys = 0;
  return () => `key-${++keys}`;
}

// Receives stock through the admin use cases (admin is read when called: tests build it in beforeAll).
export function stockReceiver(admin: () => AdminUseCases, context: RequestContext, nextKey: () => string) {
  return async (
    warehouseCode: string,
    sku: string,
    quantity: number,
    lotCode = "",
    expiresOn: string | null = null,
  ) => {
    await admin().receiveStock(
      {
        idempotencyKey: nextKey(),
        warehouseCode,
        reference: { type: "purchase_order", id: `PO-${sku}` },
        lines: [{ sku, quantity, lotCode, expiresOn }],
      },
      context,
    );
  };
}
