import { defineConfig } from "vitest/config";

// One run over every package and service, so CI reads a single summary. The tiers are named in the file
// (STYLE.md): `*.unit.test.ts` (no infrastructure), `*.int.test.ts` (real PostgreSQL, Kafka, Redis or
// processes), `*.contract.test.ts` (an in-process gRPC server and the generated client); one tier runs
// with `vitest run --project unit` (or int, contract).
const ROOTS = ["packages/*/test/**", "services/*/test/**", "deploy/test/**"];
const tier = (name: string) => ({
  extends: true as const,
  test: { name, include: ROOTS.map((root) => `${root}/*.${name}.test.ts`) },
});

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: "forks",
    reporters: ["default"],
    projects: [tier("unit"), tier("int"), tier("contract")],
  },
});
