// The sandbox's HTTP API (node:http, JSON bodies), Stripe's paths:
//   POST /v1/payment_intents                    create and authorize (Idempotency-Key required)
//   GET  /v1/payment_intents/:id                retrieve (settles a processing intent)
//   GET  /v1/payment_intents?idempotency_key=k  find the intent a timed-out create made (sandbox extension)
//   POST /v1/payment_intents/:id/capture        { amount_to_capture? }
//   POST /v1/payment_intents/:id/cancel         void an authorization
//   POST /v1/refunds                            { payment_intent, amount?, reason? }, partial and repeated
//   GET  /healthz
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Logger } from "@stockroom/logging";
import { type Body, errorAnswer, type Gateway, type GatewayAnswer } from "./gateway.ts";
import { invalidRequest } from "./payment-intent.ts";

const MAX_BODY_BYTES = 64 * 1024;
const INTENT_ID = "pi_[0-9a-f]{32}";
const INTENT_PATH = new RegExp(`^/v1/payment_intents/(${INTENT_ID})$`);
const INTENT_ACTION_PATH = new RegExp(`^/v1/payment_intents/(${INTENT_ID})/(capture|cancel)$`);

export interface SandboxHttpServer {
  server: Server;
  port: number;
  close(): Promise<void>;
}

export async function startHttpServer(
  gateway: Gateway,
  logger: Logger,
  port: number,
  host = "127.0.0.1",
): Promise<SandboxHttpServer> {
  const held = new Set<NodeJS.Timeout>();

  async function route(req: IncomingMessage, url: URL): Promise<GatewayAnswer> {
    const key = headerValue(req, "idempotency-key");
    if (req.method === "GET") {
      if (url.pathname === "/healthz") return { statusCode: 200, body: { status: "ok" } };
      const match = INTENT_PATH.exec(url.pathname);
      if (match?.[1]) return gateway.retrieveIntent(match[1]);
      if (url.pathname === "/v1/payment_intents") {
        const byKey = url.searchParams.get("idempotency_key");
        if (!byKey)
          throw invalidRequest("parameter_missing", "idempotency_key is required", "idempotency_key");
        return gateway.findIntentByIdempotencyKey(byKey);
      }
    } else if (req.method === "POST") {
      const body = await readJson(req);
      if (url.pathname === "/v1/payment_intents") return gateway.createIntent(key, body);
      if (url.pathname === "/v1/refunds") return gateway.createRefund(key, body);
      const action = INTENT_ACTION_PATH.exec(url.pathname);
      if (action?.[1] && action[2] === "capture") return gateway.captureIntent(key, action[1], body);
      if (action?.[1] && action[2] === "cancel") return gateway.cancelIntent(key, action[1], body);
    }
    return errorAnswer(
      invalidRequest("resource_missing", `Unrecognized request URL (${req.method}: ${url.pathname})`),
    );
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://sandbox");
    route(req, url).then(
      (answer) => respond(res, answer),
      (err: unknown) => {
        if (err instanceof Error && err.name === "GatewayError") {
          respond(res, errorAnswer(err as Parameters<typeof errorAnswer>[0]));
          return;
        }
        logger.error({ err, method: req.method, path: url.pathname }, "request failed");
        respond(res, { statusCode: 500, body: { error: { type: "api_error", message: "internal error" } } });
      },
    );
  });

  function respond(res: ServerResponse, answer: GatewayAnswer): void {
    const write = () => {
      if (res.destroyed) return;
      const text = JSON.stringify(answer.body);
      res.writeHead(answer.statusCode, { "content-type": "application/json" });
      res.end(text);
    };
    if (!answer.delayMs) {
      write();
      return;
    }
    const timer = setTimeout(() => {
      held.delete(timer);
      write();
    }, answer.delayMs);
    held.add(timer);
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address();
  const boundPort = typeof address === "object" && address ? address.port : port;
  return {
    server,
    port: boundPort,
    async close() {
      for (const timer of held) clearTimeout(timer);
      held.clear();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

function headerValue(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

async function readJson(req: IncomingMessage): Promise<Body> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES)
      throw invalidRequest("body_too_large", `request body above ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString("utf8");
  if (text.trim() === "") return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw invalidRequest("body_invalid", "request body must be JSON");
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw invalidRequest("body_invalid", "request body must be a JSON object");
  }
  return parsed as Body;
}
