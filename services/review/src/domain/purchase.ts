// An order line as the verified-purchase projection holds it, and what makes it a proof.
export interface PurchasedLine {
  orderId: string;
  lineNumber: number;
  customerId: string;
  sku: string;
  deliveredQuantity: number;
  returnedQuantity: number;
  deliveredAt: Date | null;
}

// Delivered, and not every delivered unit came back.
export function provesPurchase(line: Pick<PurchasedLine, "deliveredQuantity" | "returnedQuantity">): boolean {
  return line.deliveredQuantity > 0 && line.returnedQuantity < line.deliveredQuantity;
}

export function isFullyReturned(
  line: Pick<PurchasedLine, "deliveredQuantity" | "returnedQuantity">,
): boolean {
  return line.deliveredQuantity > 0 && line.returnedQuantity >= line.deliveredQuantity;
}
