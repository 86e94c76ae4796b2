// The order service's VerifyPurchase as the review service needs it: the customer's delivered lines of
// a sku. Any failure (unreachable, timeout, open breaker, a refusal) throws; the caller treats a throw
// as "not verified", never as verified.
export interface OrderPurchaseLine {
  orderId: string;
  lineNumber: number;
  sku: string;
  deliveredQuantity: number;
  returnedQuantity: number;
  deliveredAt: Date | null;
}

export interface OrderPurchasesPort {
  deliveredLines(customerId: string, sku: string): Promise<OrderPurchaseLine[]>;
}
