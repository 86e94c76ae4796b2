// Sends due webhook deliveries to the configured URL, signed, and retries failures with backoff. The
// deliveries are rows, so late and retried webhooks survive a restart of the sandbox. An interval worker:
// each pass claims a batch (one statement, no transaction held), sends each outside any transaction, in
// order, and marks it under its claim; a dispatcher that dies mid-send leaves the row due again once its
// claim lapses (the receiver dedupes by event id, as for any retried webhook).
import type { Pool } from "@stockroom/db";
import type { Logger } from "@stockroom/logging";
import { createIntervalWorker } from "@stockroom/workers";
import {
  claimDueDeliveries,
  type DueDelivery,
  markDelivered,
  markFailed,
  releaseClaim,
} from "./sandbox.repo.ts";
import { SIGNATURE_HEADER, signatureHeader } from "./webhook-signature.ts";

export interface WebhookDispatcherOptions {
  pool: Pool;
  url: string;
  secret: string;
  logger: Logger;
  pollIntervalMs: number;
  timeoutMs: number;
  maxAttempts: number;
  batchSize?: number;
}

export interface WebhookDispatcher {
  stop(): Promise<void>;
}

export function startWebhookDispatcher(options: WebhookDispatcherOptions): WebhookDispatcher {
  const batchSize = options.batchSize ?? 20;

  async function send(rawBody: string): Promise<string | undefined> {
    try {
      const response = await fetch(options.url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          [SIGNATURE_HEADER]: signatureHeader(options.secret, rawBody, Math.floor(Date.now() / 1000)),
        },
        body: rawBody,
        signal: AbortSignal.timeout(options.timeoutMs),
      });
      await response.arrayBuffer();
      return response.ok ? undefined : `HTTP ${response.status}`;
    } catch (err) {
      return err instanceof Error ? err.message : String(err);
    }
  }

  async function deliver(delivery: DueDelivery): Promise<void> {
    const error = await send(JSON.stringify(delivery.payload));
    let kept: boolean;
    if (error === undefined) {
      kept = await markDelivered(options.pool, delivery);
    } else {
      const attempts = delivery.attempts + 1;
      const retryAt =
        attempts >= options.maxAttempts ? null : new Date(Date.now() + Math.min(30_000, 250 * 2 ** attempts));
      kept = await markFailed(options.pool, delivery, error, retryAt);
      options.logger.warn({ eventId: delivery.eventId, attempts, error }, "webhook delivery failed");
    }
    if (!kept)
      options.logger.warn({ eventId: delivery.eventId }, "webhook claim lapsed before it was marked");
  }

  const worker = createIntervalWorker({
    intervalMs: options.pollIntervalMs,
    tickOnStart: true,
    tick: async (signal) => {
      // Each batch's claim outlasts its sends, one after another, each bounded by the timeout.
      const claimedUntil = new Date(Date.now() + batchSize * (options.timeoutMs + 1_000));
      const due = await claimDueDeliveries(options.pool, batchSize, claimedUntil);
      for (const [i, delivery] of due.entries()) {
        // Stopping: the rest are handed back, due again at once (for the next start or another dispatcher).
        if (signal.aborted) {
          for (const rest of due.slice(i)) await releaseClaim(options.pool, rest);
          break;
        }
        await deliver(delivery);
      }
      return { again: due.length === batchSize };
    },
    onError: (err) => options.logger.error({ err }, "webhook dispatch pass failed"),
  });
  worker.start();
  return { stop: worker.stop };
}
