export {
  createIntervalWorker,
  type IntervalWorker,
  type IntervalWorkerOptions,
  type TickPlan,
} from "./interval-worker.ts";
