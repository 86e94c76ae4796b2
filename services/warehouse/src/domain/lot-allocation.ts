// FEFO: units come from the lot that expires first; lots without expiry last; expired lots never.
export interface LotState {
  lotCode: string;
  expiresOn: string | null; // YYYY-MM-DD
  onHand: number;
  allocated: number;
}

export interface LotPart {
  lotCode: string;
  quantity: number;
}

export function isLotExpired(lot: Pick<LotState, "expiresOn">, today: string): boolean {
  return lot.expiresOn !== null && lot.expiresOn <= today;
}

export function fefoOrder(lots: LotState[]): LotState[] {
  return [...lots].sort((a, b) => {
    if (a.expiresOn !== b.expiresOn) {
      if (a.expiresOn === null) return 1;
      if (b.expiresOn === null) return -1;
      return a.expiresOn < b.expiresOn ? -1 : 1;
    }
    return a.lotCode.localeCompare(b.lotCode);
  });
}

export function unexpiredFreeUnits(lots: LotState[], today: string): number {
  return lots.reduce((sum, lot) => sum + (isLotExpired(lot, today) ? 0 : lot.onHand - lot.allocated), 0);
}

// Returns the parts, or undefined when the unexpired lots cannot cover the quantity.
export function allocateFefo(lots: LotState[], quantity: number, today: string): LotPart[] | undefined {
  const parts: LotPart[] = [];
  let missing = quantity;
  for (const lot of fefoOrder(lots)) {
    if (missing === 0) break;
    if (isLotExpired(lot, today)) continue;
    const take = Math.min(missing, lot.onHand - lot.allocated);
    if (take > 0) {
      parts.push({ lotCode: lot.lotCode, quantity: take });
      missing -= take;
    }
  }
  return missing === 0 ? parts : undefined;
}
