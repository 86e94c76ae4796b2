// The payment providers' webhook endpoint (node:http on its own port): POST /webhooks/<provider>. The
// raw body is verified by the provider's adapter (signature and timestamp) before anything is parsed;
// a bad signature is 401, a body that is not an event 400, anything recorded 200 (duplicates too, so
// the provider stops redelivering).
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { isAppError } from "@stockroom/errors";
import type { Logger } from "@stockroom/logging";
import type { PaymentProvider, PaymentWebhookEvent } from "../../app/payment-provider.port.ts";
import type { WebhookOutcome } from "../../app/record-payment-webhook.ts";

const MAX_BODY_BYTES = 256 * 1024;

export interface PaymentWebhookServer {
  port: number;
  url(provider: string): string;
  close(): Promise<void>;
}

export async function startPaymentWebhookServer(options: {
  port: number;
  host?: string;
  providers: readonly PaymentProvider[];
  record: (provider: PaymentProvider, event: PaymentWebhookEvent) => Promise<WebhookOutcome>;
  logger: Logger;
}): Promise<PaymentWebhookServer> {
  const server: Server = createServer((req, res) => {
    const answer = (code: number, body: Record<string, unknown>) => {
      res.writeHead(code, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    if (req.method === "GET" && req.url === "/healthz") return answer(200, { ok: true });
    const match = /^\/webhooks\/([a-z_]+)$/.exec(req.url ?? "");
    const provider = match ? options.providers.find((p) => p.name === match[1]) : undefined;
    if (req.method !== "POST" || !provider) return answer(404, { error: "not found" });
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) req.destroy();
      else chunks.push(chunk);
    });
    req.on("end", () => {
      void (async () => {
        let event: PaymentWebhookEvent;
        try {
          event = provider.verifyWebhook(req.headers, Buffer.concat(chunks).toString("utf8"));
        } catch (err) {
          const code = isAppError(err) && err.kind === "unauthenticated" ? 401 : 400;
          options.logger.warn(
            { provider: provider.name, err: (err as Error).message },
            "payment webhook refused",
          );
          return answer(code, { error: (err as Error).message });
        }
        try {
          const outcome = await options.record(provider, event);
          options.logger.info(
            { provider: provider.name, eventId: event.eventId, orderId: event.reference, outcome },
            "payment webhook",
          );
          answer(200, { received: true, outcome });
        } catch (err) {
          options.logger.error(
            { err, eventId: event.eventId, orderId: event.reference },
            "payment webhook not recorded",
          );
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
    url: (provider) => `http://127.0.0.1:${port}/webhooks/${provider}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
