export { type ClosedLoopReport, closedLoop, type LoadSummary, summarize } from "./closed-loop.ts";
export { GrpcCallError, type GrpcOverHttp2, grpcOverHttp2 } from "./grpc-over-http2.ts";
export { cpuMsByGroup, cpuPerOperation, type ProcessGroups } from "./process-cpu.ts";
