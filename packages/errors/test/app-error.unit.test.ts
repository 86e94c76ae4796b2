import { describe, expect, it } from "vitest";
import {
  AppError,
  aborted,
  ERROR_KINDS,
  ErrorReason,
  failedPrecondition,
  internal,
  invalidArgument,
  isAppError,
  isRetryableError,
  notFound,
  unavailable,
} from "../src/index.ts";

describe("AppError", () => {
  it("is an Error carrying kind, reason, field and metadata", () => {
    const err = invalidArgument("lines[0].quantity", "quantity must be positive");
    expect(err).toBeInstanceOf(Error);
    expect(err).toBeInstanceOf(AppError);
    expect(err.name).toBe("AppError");
    expect(err.kind).toBe("invalid_argument");
    expect(err.field).toBe("lines[0].quantity");
    expect(err.reason).toBe(ErrorReason.VALIDATION_FAILED);
    expect(err.message).toBe("quantity must be positive");
  });

  it("keeps a domain reason and metadata", () => {
    const err = failedPrecondition(ErrorReason.INSUFFICIENT_STOCK, "not enough stock", {
      sku: "A-1",
      available: "3",
    });
    expect(err.kind).toBe("failed_precondition");
    expect(err.reason).toBe(ErrorReason.INSUFFICIENT_STOCK);
    expect(err.metadata).toEqual({ sku: "A-1", available: "3" });
    expect(err.field).toBeUndefined();
  });

  it("defaults the reason to UNSPECIFIED when built directly", () => {
    expect(new AppError("not_found", "x").reason).toBe(ErrorReason.UNSPECIFIED);
  });

  it("keeps the cause", () => {
    const cause = new Error("serialization failure");
    expect(aborted("conflict", undefined, undefined, cause).cause).toBe(cause);
    expect(internal("boom", cause).cause).toBe(cause);
  });

  it("names every kind once", () => {
    expect(new Set(ERROR_KINDS).size).toBe(ERROR_KINDS.length);
  });
});

describe("isAppError", () => {
  it("accepts AppErrors and rejects others", () => {
    expect(isAppError(notFound(ErrorReason.SKU_NOT_FOUND, "no such sku"))).toBe(true);
    expect(isAppError(new Error("x"))).toBe(false);
    expect(isAppError("x")).toBe(false);
    expect(isAppError(undefined)).toBe(false);
  });

  it("accepts a structurally identical error from another module copy", () => {
    const foreign = Object.assign(new Error("x"), { name: "AppError", kind: "aborted" });
    expect(isAppError(foreign)).toBe(true);
    const bogus = Object.assign(new Error("x"), { name: "AppError", kind: "nonsense" });
    expect(isAppError(bogus)).toBe(false);
  });
});

describe("isRetryableError", () => {
  it("is true only for aborted and unavailable", () => {
    expect(isRetryableError(aborted("conflict"))).toBe(true);
    expect(isRetryableError(unavailable("db down"))).toBe(true);
    expect(isRetryableError(notFound(ErrorReason.SKU_NOT_FOUND, "x"))).toBe(false);
    expect(isRetryableError(new Error("x"))).toBe(false);
  });
});
