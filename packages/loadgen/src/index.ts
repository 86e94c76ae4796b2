export { benchRunId } from "./bench-run-id.ts";
export { spawnBenchService, stopChild, waitUntilReady } from "./bench-service.ts";
export { BENCH_JWT_SECRET, issueBenchToken } from "./bench-token.ts";
export { deleteTopicsWithPrefix } from "./bench-topics.ts";
export { type ClosedLoopReport, closedLoop, type LoadSummary, summarize } from "./closed-loop.ts";
export { GrpcCallError, type GrpcOverHttp2, grpcOverHttp2 } from "./grpc-over-http2.ts";
export { cpuMsByGroup, cpuPerOperation, type ProcessGroups } from "./process-cpu.ts";
