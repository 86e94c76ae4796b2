import { Metadata, status } from "@grpc/grpc-js";
import { AppError, ERROR_KINDS, ErrorReason, invalidArgument, notFound } from "@stockroom/errors";
import { describe, expect, it } from "vitest";
import { errorDetailFrom, GrpcCallError, toGrpcStatus } from "../src/index.ts";

describe("toGrpcStatus", () => {
  it("maps every error kind to its status code", () => {
    const codes = Object.fromEntries(
      ERROR_KINDS.map((kind) => [kind, toGrpcStatus(new AppError(kind, "m")).code]),
    );
    expect(codes).toEqual({
      invalid_argument: status.INVALID_ARGUMENT,
      not_found: status.NOT_FOUND,
      already_exists: status.ALREADY_EXISTS,
      failed_precondition: status.FAILED_PRECONDITION,
      aborted: status.ABORTED,
      unavailable: status.UNAVAILABLE,
      deadline_exceeded: status.DEADLINE_EXCEEDED,
      cancelled: status.CANCELLED,
      unauthenticated: status.UNAUTHENTICATED,
      permission_denied: status.PERMISSION_DENIED,
      resource_exhausted: status.RESOURCE_EXHAUSTED,
      internal: status.INTERNAL,
    });
  });

  it("puts an ErrorDetail with reason and metadata in the trailers", () => {
    const mapped = toGrpcStatus(notFound(ErrorReason.SKU_NOT_FOUND, "no sku A-1", { sku: "A-1" }));
    expect(mapped.serverFault).toBe(false);
    const detail = errorDetailFrom(mapped.metadata);
    expect(detail?.reason).toBe(ErrorReason.SKU_NOT_FOUND);
    expect(detail?.message).toBe("no sku A-1");
    expect(detail?.metadata).toEqual({ sku: "A-1" });
  });

  it("names the field of an invalid argument once", () => {
    expect(toGrpcStatus(invalidArgument("quantity", "must be positive")).details).toBe(
      "quantity: must be positive",
    );
    expect(toGrpcStatus(invalidArgument("quantity", "quantity must be positive")).details).toBe(
      "quantity must be positive",
    );
  });

  it("hides the message of internal and unknown errors", () => {
    for (const err of [new AppError("internal", "db password xyz"), new TypeError("x is undefined"), "str"]) {
      const mapped = toGrpcStatus(err, "req-1");
      expect(mapped.code).toBe(status.INTERNAL);
      expect(mapped.details).toBe("internal error (request req-1)");
      expect(mapped.serverFault).toBe(true);
    }
  });

  it("turns an uncaught downstream UNAVAILABLE into UNAVAILABLE, other downstream errors into INTERNAL", () => {
    const down = new GrpcCallError(status.UNAVAILABLE, "connect failed", new Metadata());
    expect(toGrpcStatus(down).code).toBe(status.UNAVAILABLE);
    expect(errorDetailFrom(toGrpcStatus(down).metadata)?.reason).toBe(ErrorReason.DEPENDENCY_UNAVAILABLE);
    const bad = new GrpcCallError(status.INVALID_ARGUMENT, "bad", new Metadata());
    expect(toGrpcStatus(bad).code).toBe(status.INTERNAL);
  });

  it("ignores a malformed detail trailer", () => {
    const metadata = new Metadata();
    metadata.set("stockroom-error-bin", Buffer.from([0xff, 0xff, 0xff]));
    expect(errorDetailFrom(metadata)).toBeUndefined();
  });
});
