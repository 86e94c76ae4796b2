// build_info{version, commit} 1: which build each process runs, to join onto other series or to spot a
// half-finished rollout. Set by the image (STOCKROOM_VERSION, STOCKROOM_COMMIT build arguments); a
// process run from a checkout reports version "dev" and commit "unknown" unless they are exported.
import { Gauge, type Registry } from "prom-client";

export interface BuildInfo {
  readonly version: string;
  readonly commit: string;
}

export function buildInfoFromEnv(env: NodeJS.ProcessEnv = process.env): BuildInfo {
  return { version: env.STOCKROOM_VERSION || "dev", commit: env.STOCKROOM_COMMIT || "unknown" };
}

export function registerBuildInfo(registry: Registry, info: BuildInfo = buildInfoFromEnv()): void {
  if (registry.getSingleMetric("build_info")) return;
  const gauge = new Gauge({
    name: "build_info",
    help: "Always 1; the labels name the build (version, commit) and the Node.js runtime.",
    labelNames: ["version", "commit", "node_version"],
    registers: [registry],
  });
  gauge.set({ version: info.version, commit: info.commit, node_version: process.version }, 1);
}
