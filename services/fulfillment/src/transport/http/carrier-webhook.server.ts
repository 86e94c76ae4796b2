// The carriers' delivery webhook (node:http on its own port): POST /webhooks/carrier. The raw body's
// signature is verified before it is parsed: a bad or stale signature is 401, a body that is not a
// carrier event 400, anything recorded 200 (a redelivery too, so the carrier stops sending), a failure
// to record 503 (the carrier retries).
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { isAppError } from "@stockroom/errors";
import type { Logger } from "@stockroom/logging";
import type { CarrierWebhookOutcome } from "../../app/record-carrier-delivery.ts";
import {
  CARRIER_SIGNATURE_HEADER,
  type CarrierEvent,
  parseCarrierEvent,
  verifyCarrierSignature,
} from "../../domain/carrier-webhook.ts";

const MAX_BODY_BYTES = 64 * 1024;
export const CARRIER_WEBHOOK_PATH = "/webhooks/carrier";

export interface CarrierWebhookServer {
  port: number;
  url: string;
  close(): Promise<void>;
}

export async function startCarrierWebhookServer(options: {
  port: number;
  host?: string;
  secret: string;
  toleranceMs: number;
  record: (event: CarrierEvent) => Promise<CarrierWebhookOutcome>;
  logger: Logger;
  clock?: () => Date;
}): Promise<CarrierWebhookServer> {
  const clock = options.clock ?? (() => new Date());
  const server: Server = createServer((req, res) => {
    const answer = (code: number, body: Record<string, unknown>) => {
      res.writeHead(code, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    if (req.method === "GET" && req.url === "/healthz") return answer(200, { ok: true });
    if (req.method !== "POST" || req.url !== CARRIER_WEBHOOK_PATH) return answer(404, { error: "not found" });
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) req.destroy();
      else chunks.push(chunk);
    });
    req.on("end", () => {
      void (async () => {
        const raw = Buffer.concat(chunks).toString("utf8");
        let event: CarrierEvent;
        try {
          const header = req.headers[CARRIER_SIGNATURE_HEADER];
          verifyCarrierSignature(
            Array.isArray(header) ? header[0] : header,
            raw,
            options.secret,
            options.toleranceMs,
            clock(),
          );
          event = parseCarrierEvent(raw);
        } catch (err) {
          const code = isAppError(err) && err.kind === "unauthenticated" ? 401 : 400;
          options.logger.warn({ err: (err as Error).message }, "carrier webhook refused");
          return answer(code, { error: (err as Error).message });
        }
        try {
          const outcome = await options.record(event);
          if (outcome === "unknown_shipment") {
            options.logger.warn(
              { eventId: event.eventId, carrier: event.carrier },
              "carrier webhook for no known shipment",
            );
          }
          answer(200, { received: true, outcome });
        } catch (err) {
          options.logger.error({ err, eventId: event.eventId }, "carrier webhook not recorded");
          answer(503, { error: "not recorded; retry" });
        }
      })();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host ?? "0.0.0.0", () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: `http://127.0.0.1:${port}${CARRIER_WEBHOOK_PATH}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
