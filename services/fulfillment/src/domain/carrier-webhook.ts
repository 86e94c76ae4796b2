// A carrier's delivery webhook: its signature (Stripe's scheme: header `t=<unix seconds>,v1=<hex
// HMAC-SHA256 of "<t>.<raw body>">`, compared in constant time, the timestamp within a tolerance so a
// captured call cannot be replayed later) and its body, checked before anything is recorded.
import { createHmac, timingSafeEqual } from "node:crypto";
import { ErrorReason, invalidArgument, unauthenticated } from "@stockroom/errors";

export const CARRIER_SIGNATURE_HEADER = "x-carrier-signature";

export function signCarrierWebhook(secret: string, rawBody: string, now: Date): string {
  const t = Math.floor(now.getTime() / 1000);
  return `t=${t},v1=${createHmac("sha256", secret).update(`${t}.${rawBody}`).digest("hex")}`;
}

export function verifyCarrierSignature(
  header: string | undefined,
  rawBody: string,
  secret: string,
  toleranceMs: number,
  now: Date,
): void {
  const invalid = (why: string) =>
    unauthenticated(`carrier webhook signature invalid: ${why}`, ErrorReason.WEBHOOK_SIGNATURE_INVALID);
  if (!header) throw invalid(`no ${CARRIER_SIGNATURE_HEADER} header`);
  let timestamp: number | undefined;
  const signatures: Buffer[] = [];
  for (const part of header.split(",")) {
    const [k, v] = part.split("=", 2);
    if (k === "t" && v && /^\d+$/.test(v)) timestamp = Number(v);
    if (k === "v1" && v && /^[0-9a-f]{64}$/.test(v)) signatures.push(Buffer.from(v, "hex"));
  }
  if (timestamp === undefined || signatures.length === 0) throw invalid("malformed header");
  if (Math.abs(now.getTime() - timestamp * 1000) > toleranceMs)
    throw invalid("timestamp outside the tolerance");
  const expected = createHmac("sha256", secret).update(`${timestamp}.${rawBody}`).digest();
  if (!signatures.some((s) => s.length === expected.length && timingSafeEqual(s, expected))) {
    throw invalid("no matching v1 signature");
  }
}

export interface CarrierEvent {
  eventId: string;
  carrier: string;
  trackingNumber: string;
  // Only "delivered" has an effect; other statuses (in transit, ...) are acknowledged and ignored.
  status: string;
  deliveredAt?: Date | undefined;
}

const EVENT_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$/;

export function parseCarrierEvent(rawBody: string): CarrierEvent {
  let body: unknown;
  try {
    body = JSON.parse(rawBody);
  } catch {
    throw invalidArgument("body", "the body is not JSON");
  }
  const b = (body ?? {}) as Record<string, unknown>;
  const text = (field: string) => {
    const v = b[field];
    if (typeof v !== "string" || v.trim() === "") throw invalidArgument(field, `${field} is required`);
    return v.trim();
  };
  const eventId = text("event_id");
  if (!EVENT_ID.test(eventId))
    throw invalidArgument("event_id", "event_id must be 1 to 100 letters, digits, '.', '_', ':' or '-'");
  let deliveredAt: Date | undefined;
  if (b.delivered_at !== undefined) {
    deliveredAt = new Date(String(b.delivered_at));
    if (Number.isNaN(deliveredAt.getTime()))
      throw invalidArgument("delivered_at", "delivered_at must be an ISO 8601 time");
  }
  return {
    eventId,
    carrier: text("carrier"),
    trackingNumber: text("tracking_number"),
    status: text("status").toLowerCase(),
    deliveredAt,
  };
}
