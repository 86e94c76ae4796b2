// The sandbox's test cards: the payment method token decides how the gateway behaves, as Stripe's test
// card numbers do. Anything else is refused as an invalid payment method.
export const CARD_BEHAVIOURS = [
  "approve",
  "decline",
  // The first answer comes back only after HANG_MS (past the client's timeout); the intent is approved.
  "timeout_then_approve",
  // The first answer comes back after HANG_MS and says processing; the outcome (approved) is settled
  // only when the intent is retrieved.
  "timeout_unknown",
  // Approves; the intent's webhooks are sent LATE_WEBHOOK_DELAY_MS after the change.
  "late_webhook",
  // Approves; each of the intent's webhooks is delivered twice (same event id).
  "duplicate_webhook",
] as const;
export type CardBehaviour = (typeof CARD_BEHAVIOURS)[number];

export const TEST_CARDS: Readonly<Record<string, CardBehaviour>> = {
  "4242424242424242": "approve",
  "4000000000000002": "decline",
  "4000000000000101": "timeout_then_approve",
  "4000000000000119": "timeout_unknown",
  "4000000000000200": "late_webhook",
  "4000000000000218": "duplicate_webhook",
  // E-wallet tokens behave like the approving card.
  wallet_approve: "approve",
  wallet_decline: "decline",
};

export function behaviourOf(paymentMethod: string): CardBehaviour | undefined {
  return Object.hasOwn(TEST_CARDS, paymentMethod) ? TEST_CARDS[paymentMethod] : undefined;
}

export function hangsFirstAnswer(behaviour: CardBehaviour): boolean {
  return behaviour === "timeout_then_approve" || behaviour === "timeout_unknown";
}
