// What a shipment needs: a carrier and a tracking number the carrier's systems accept (the same
// patterns are CHECKs on shipments).
import { invalidArgument } from "@stockroom/errors";

const TRACKING = /^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$/;

export function checkShipmentInput(input: { carrier: string; trackingNumber: string }): {
  carrier: string;
  trackingNumber: string;
} {
  const carrier = input.carrier.trim();
  if (carrier.length < 1 || carrier.length > 64) {
    throw invalidArgument("carrier", "carrier must be 1 to 64 characters");
  }
  const trackingNumber = input.trackingNumber.trim();
  if (!TRACKING.test(trackingNumber)) {
    throw invalidArgument(
      "tracking_number",
      "tracking_number must be 1 to 64 letters, digits, spaces, '.', '_' or '-', starting with a letter or digit",
    );
  }
  return { carrier, trackingNumber };
}
