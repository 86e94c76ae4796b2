// The order service's VerifyPurchase as the review service's OrderPurchasesPort: a client that signs each
// call with a short-lived service token, has a short deadline, no retries (a slow answer is worth less
// than a prompt "not verified") and runs behind a circuit breaker. Every failure throws; the use case
// turns a throw into "not verified" (fail closed).
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { createTokenIssuer } from "@stockroom/auth";
import { type BreakerState, createClient, createDependencyBreaker } from "@stockroom/grpc";
import { OrderService } from "@stockroom/proto/stockroom/order/v1/order_service_pb.js";
import type { OrderPurchasesPort } from "../../app/order-purchases.port.ts";

export interface OrderPurchasesClientOptions {
  address: string;
  jwt: { secret: string; issuer: string; audience: string };
  deadlineMs?: number;
  breaker?: { volumeThreshold?: number; resetTimeoutMs?: number; errorThresholdPercentage?: number };
  onBreakerState?: (state: BreakerState) => void;
}

export function createOrderPurchasesClient(
  options: OrderPurchasesClientOptions,
): OrderPurchasesPort & { close(): void; breakerState(): BreakerState } {
  const issuer = createTokenIssuer(options.jwt);
  const client = createClient(OrderService, options.address, {
    defaultDeadlineMs: options.deadlineMs ?? 1_000,
    retry: { maxAttempts: 1 },
    channelOptions: { "grpc.initial_reconnect_backoff_ms": 200, "grpc.max_reconnect_backoff_ms": 5_000 },
    token: () => issuer.issue({ subject: "service:review", roles: ["service"], ttlSec: 300 }),
  });
  const breaker = createDependencyBreaker({
    name: "order",
    ...options.breaker,
    ...(options.onBreakerState ? { onStateChange: options.onBreakerState } : {}),
  });
  return {
    async deliveredLines(customerId, sku) {
      const response = await breaker.fire(() => client.verifyPurchase({ customerId, sku }));
      // Only an explicit "verified" with lines counts; anything else is no proof.
      if (!response.verified) return [];
      return response.lines.map((line) => ({
        orderId: line.orderId,
        lineNumber: line.lineNumber,
        sku: line.sku,
        deliveredQuantity: line.deliveredQuantity,
        returnedQuantity: line.returnedQuantity,
        deliveredAt: line.deliveredAt ? timestampDate(line.deliveredAt) : null,
      }));
    },
    breakerState: () => breaker.state(),
    close() {
      breaker.shutdown();
      client.close();
    },
  };
}
