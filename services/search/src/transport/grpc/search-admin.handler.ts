// SearchAdminService over gRPC: RebuildIndex and GetRebuild for ops and admin.
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { invalidArgument } from "@stockroom/errors";
import type { ServiceImpl, ServicePolicy } from "@stockroom/grpc";
import {
  RebuildState,
  type SearchAdminService,
} from "@stockroom/proto/stockroom/search/v1/search_admin_service_pb.js";
import type { SearchAdminUseCases } from "../../app/build-use-cases.ts";
import type { RebuildRun } from "../../domain/rebuild-run.ts";

const OPERATORS = ["ops", "admin"] as const;

export const SEARCH_ADMIN_POLICY: ServicePolicy<typeof SearchAdminService> = {
  rebuildIndex: OPERATORS,
  getRebuild: OPERATORS,
};

const STATES: Record<RebuildRun["state"], RebuildState> = {
  running: RebuildState.RUNNING,
  completed: RebuildState.COMPLETED,
  failed: RebuildState.FAILED,
  aborted: RebuildState.ABORTED,
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function rebuildMessage(run: RebuildRun) {
  return {
    rebuildId: run.id,
    engine: run.engine,
    state: STATES[run.state],
    productsIndexed: BigInt(run.productsIndexed),
    pagesDone: BigInt(run.pagesDone),
    error: run.error ?? "",
    startedAt: timestampFromDate(run.startedAt),
    ...(run.finishedAt && { finishedAt: timestampFromDate(run.finishedAt) }),
  };
}

export function createSearchAdminHandler(
  useCases: SearchAdminUseCases,
): ServiceImpl<typeof SearchAdminService> {
  return {
    async rebuildIndex(request) {
      const key = request.idempotencyKey;
      if (key === "") throw invalidArgument("idempotency_key", "idempotency_key is required");
      if (key.length > 128)
        throw invalidArgument("idempotency_key", "idempotency_key must be at most 128 characters");
      return { rebuild: rebuildMessage(await useCases.rebuildIndex({ idempotencyKey: key })) };
    },
    async getRebuild(request) {
      if (!UUID.test(request.rebuildId)) throw invalidArgument("rebuild_id", "rebuild_id must be a UUID");
      return { rebuild: rebuildMessage(await useCases.getRebuild(request.rebuildId)) };
    },
  };
}
