import { isAppError } from "@stockroom/errors";
import { describe, expect, it } from "vitest";
import { assertCompletePolicy, authorize, type Principal } from "../src/index.ts";

const ops: Principal = { subject: "u1", roles: ["ops"] };

function kindOf(fn: () => void): string | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    return isAppError(err) ? err.kind : "not-app-error";
  }
}

describe("authorize", () => {
  it("lets anyone call a public method", () => {
    expect(kindOf(() => authorize(undefined, "public"))).toBeUndefined();
  });

  it("requires a principal for a role-restricted method", () => {
    expect(kindOf(() => authorize(undefined, ["ops"]))).toBe("unauthenticated");
  });

  it("allows a principal holding one of the roles", () => {
    expect(kindOf(() => authorize(ops, ["admin", "ops"]))).toBeUndefined();
  });

  it("denies a principal without any of the roles", () => {
    expect(kindOf(() => authorize(ops, ["admin"]))).toBe("permission_denied");
    expect(kindOf(() => authorize({ subject: "x", roles: [] }, ["admin"]))).toBe("permission_denied");
  });
});

describe("assertCompletePolicy", () => {
  it("accepts a policy naming every method", () => {
    expect(() => assertCompletePolicy("S", ["a", "b"], { a: "public", b: ["ops", "admin"] })).not.toThrow();
  });

  it("fails when a method has no entry", () => {
    expect(() => assertCompletePolicy("S", ["a", "b"], { a: "public" })).toThrow(/no policy for b/);
  });

  it("fails on an empty role list, unknown roles or unknown methods", () => {
    expect(() => assertCompletePolicy("S", ["a"], { a: [] })).toThrow(/non-empty list/);
    expect(() => assertCompletePolicy("S", ["a"], { a: ["root"] })).toThrow(/non-empty list/);
    expect(() => assertCompletePolicy("S", ["a"], { a: "public", z: "public" })).toThrow(/unknown method z/);
  });
});
