// A gRPC server speaking the order service's OrderService contract on a real port, whose VerifyPurchase
// answers as the test says (or hangs, or fails), for the fail-closed tests: the real order service's
// VerifyPurchase is being built on another branch. Every other method is UNIMPLEMENTED.

import type { MessageInitShape } from "@bufbuild/protobuf";
import { createTokenIssuer, createTokenVerifier } from "@stockroom/auth";
import { unavailable } from "@stockroom/errors";
import { createGrpcServer, type GrpcServer, type ServiceImpl, type ServicePolicy } from "@stockroom/grpc";
import { createLogger } from "@stockroom/logging";
import { createMetricsRegistry } from "@stockroom/metrics";
import type { VerifyPurchaseResponseSchema } from "@stockroom/proto/stockroom/order/v1/order_service_pb.js";
import {
  OrderService,
  type VerifyPurchaseRequest,
  type VerifyPurchaseResponse,
} from "@stockroom/proto/stockroom/order/v1/order_service_pb.js";

export const TEST_JWT = {
  secret: "review-test-secret-0123456789abcdef",
  issuer: "stockroom",
  audience: "stockroom",
};

export type VerifyAnswer = (
  request: VerifyPurchaseRequest,
) => Promise<MessageInitShape<typeof VerifyPurchaseResponseSchema>>;

export interface OrderServiceDouble {
  address: string;
  calls: VerifyPurchaseRequest[];
  answer: VerifyAnswer;
  stop(): Promise<void>;
}

export async function startOrderServiceDouble(answer: VerifyAnswer): Promise<OrderServiceDouble> {
  const server: GrpcServer = createGrpcServer({
    logger: createLogger({ service: "order-double", level: "silent" }),
    registry: createMetricsRegistry({ service: "order-double", collectDefaults: false }),
    verifier: createTokenVerifier(TEST_JWT),
  });
  const double = { calls: [] as VerifyPurchaseRequest[], answer } as OrderServiceDouble;
  const methods = Object.keys(OrderService.method);
  const impl = Object.fromEntries(
    methods.map((name) => [
      name,
      name === "verifyPurchase"
        ? async (request: VerifyPurchaseRequest) => {
            double.calls.push(request);
            return (await double.answer(request)) as VerifyPurchaseResponse;
          }
        : async () => {
            throw unavailable(`${name} is not part of this double`);
          },
    ]),
  ) as unknown as ServiceImpl<typeof OrderService>;
  const policy = Object.fromEntries(methods.map((name) => [name, ["service"]])) as unknown as ServicePolicy<
    typeof OrderService
  >;
  server.register(OrderService, impl, policy);
  const port = await server.start("127.0.0.1:0");
  double.address = `127.0.0.1:${port}`;
  double.stop = () => server.shutdown(0);
  return double;
}

// Tokens the review service's client would sign (the same secret), for direct calls in tests.
export const serviceTokenIssuer = () => createTokenIssuer(TEST_JWT);
