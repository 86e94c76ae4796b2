import { createLogger } from "@stockroom/logging";
import { describe, expect, it } from "vitest";
import { installSignalHandlers } from "../src/index.ts";

describe("installSignalHandlers", () => {
  it("shuts the server down, runs onShutdown, then exits 0 on SIGTERM", async () => {
    const steps: string[] = [];
    let exited: (code: number) => void = () => {};
    const exitCode = new Promise<number>((resolve) => {
      exited = resolve;
    });
    const remove = installSignalHandlers(
      {
        async shutdown(graceMs) {
          steps.push(`shutdown ${graceMs}`);
        },
      },
      createLogger({ service: "signals-test", level: "silent" }),
      {
        graceMs: 1234,
        onShutdown: async () => {
          steps.push("onShutdown");
        },
        exit: (code) => exited(code),
      },
    );
    try {
      process.emit("SIGTERM");
      expect(await exitCode).toBe(0);
      expect(steps).toEqual(["shutdown 1234", "onShutdown"]);
    } finally {
      remove();
    }
  });
});
