import { describe, expect, it } from "vitest";
import { collectViolations, ErrorReason, invalidArgument, isAppError, notFound } from "../src/index.ts";

function caught(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error("expected a throw");
}

describe("collectViolations", () => {
  it("returns what build made when every check passes", () => {
    expect(collectViolations((check) => ({ a: check(() => 1), b: check(() => "x") }))).toEqual({
      a: 1,
      b: "x",
    });
  });

  it("throws one invalid_argument listing every violation in order, nested ones flattened", () => {
    const err = caught(() =>
      collectViolations((check) => ({
        a: check(() => {
          throw invalidArgument("a", "a is required");
        }),
        nested: check(() =>
          collectViolations((inner) => ({
            x: inner(() => {
              throw invalidArgument("n.x", "n.x is bad");
            }),
            y: inner(() => {
              throw invalidArgument("n.y", "too long");
            }),
          })),
        ),
        ok: check(() => 3),
      })),
    );
    expect(isAppError(err) && err.kind).toBe("invalid_argument");
    if (!isAppError(err)) return;
    expect(err.violations).toEqual([
      { field: "a", description: "a is required" },
      { field: "n.x", description: "n.x is bad" },
      { field: "n.y", description: "too long" },
    ]);
    expect(err.field).toBe("a");
    expect(err.reason).toBe(ErrorReason.VALIDATION_FAILED);
    expect(err.message).toBe("a is required; n.x is bad; n.y: too long");
  });

  it("keeps a single violation's message as it was", () => {
    const err = caught(() =>
      collectViolations((check) =>
        check(() => {
          throw invalidArgument("q", "q must be positive");
        }),
      ),
    );
    expect(isAppError(err) && err.message).toBe("q must be positive");
  });

  it("counts an invalidArgument thrown outside check after those collected", () => {
    const err = caught(() =>
      collectViolations((check) => {
        check(() => {
          throw invalidArgument("a", "a bad");
        });
        throw invalidArgument("b", "b bad");
      }),
    );
    expect(isAppError(err) && err.violations.map((v) => v.field)).toEqual(["a", "b"]);
  });

  it("lets other errors through at once", () => {
    const err = caught(() =>
      collectViolations((check) =>
        check(() => {
          throw notFound(ErrorReason.SKU_NOT_FOUND, "no sku");
        }),
      ),
    );
    expect(isAppError(err) && err.kind).toBe("not_found");
  });
});
