// The carrier webhook's signature and body checks: a signature of the exact body with the secret,
// within the tolerance, passes; another body, another secret, a stale timestamp or a malformed header
// is refused; a body without what an event needs names the field.
import { describe, expect, it } from "vitest";
import {
  parseCarrierEvent,
  signCarrierWebhook,
  verifyCarrierSignature,
} from "../src/domain/carrier-webhook.ts";

const SECRET = "carrier-secret";
const NOW = new Date("2026-12-02T03:00:00Z");
const BODY = JSON.stringify({ event_id: "ev-1", carrier: "dhl", tracking_number: "T1", status: "delivered" });

describe("carrier webhook signature", () => {
  it("accepts the body it signs, refuses any other body, secret, time or header", () => {
    const header = signCarrierWebhook(SECRET, BODY, NOW);
    expect(() => verifyCarrierSignature(header, BODY, SECRET, 300_000, NOW)).not.toThrow();
    expect(() => verifyCarrierSignature(header, `${BODY} `, SECRET, 300_000, NOW)).toThrow(/no matching/);
    expect(() => verifyCarrierSignature(header, BODY, "other", 300_000, NOW)).toThrow(/no matching/);
    expect(() =>
      verifyCarrierSignature(header, BODY, SECRET, 300_000, new Date(NOW.getTime() + 301_000)),
    ).toThrow(/tolerance/);
    expect(() => verifyCarrierSignature(undefined, BODY, SECRET, 300_000, NOW)).toThrow(
      /no x-carrier-signature/,
    );
    expect(() => verifyCarrierSignature("v1=abc", BODY, SECRET, 300_000, NOW)).toThrow(/malformed/);
  });

  it("parses an event and names what is missing", () => {
    expect(parseCarrierEvent(BODY)).toMatchObject({
      eventId: "ev-1",
      carrier: "dhl",
      trackingNumber: "T1",
      status: "delivered",
    });
    expect(() => parseCarrierEvent("{")).toThrow(/not JSON/);
    expect(() => parseCarrierEvent(JSON.stringify({ carrier: "dhl" }))).toThrow(/event_id/);
    expect(() =>
      parseCarrierEvent(
        JSON.stringify({
          event_id: "e",
          carrier: "dhl",
          tracking_number: "T",
          status: "delivered",
          delivered_at: "soon",
        }),
      ),
    ).toThrow(/delivered_at/);
  });
});
