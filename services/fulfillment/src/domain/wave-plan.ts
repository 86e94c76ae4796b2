// A wave (batch picking): the lines of many fulfillment orders of one warehouse drawn from the bins the
// warehouse says hold their units, in route order. A fulfillment whose units cannot all be located
// stays out of the wave (it waits, OPEN, for stock to be put away) rather than being half-routed.
import { type BinStop, inRouteOrder } from "./pick-list.ts";

export interface WaveCandidate {
  fulfillmentId: string;
  lines: { orderLineNumber: number; sku: string; lotCode: string; toPick: number }[];
}

export interface LocatedUnits extends BinStop {
  sku: string;
  lotCode: string;
  units: number;
}

export interface PlannedPickLine extends BinStop {
  lineNumber: number;
  fulfillmentId: string;
  orderLineNumber: number;
  sku: string;
  lotCode: string;
  quantity: number;
}

export interface WavePlan {
  lines: PlannedPickLine[];
  // In the wave, oldest first.
  fulfillmentIds: string[];
  // Left OPEN: some of their units are in no bin the warehouse knows (or the wave already took them).
  unlocated: string[];
}

const locationKey = (l: { sku: string; lotCode: string; binCode: string }) =>
  `${l.sku}\u0000${l.lotCode}\u0000${l.binCode}`;

// Candidates are taken oldest first; each line draws from the bins in pick order (a line naming a lot
// only from that lot). Units one fulfillment took are not offered to the next.
export function planWave(candidates: readonly WaveCandidate[], located: readonly LocatedUnits[]): WavePlan {
  const left = new Map(located.map((l) => [locationKey(l), l.units]));
  const ordered = [...located].sort((a, b) => a.pickSequence - b.pickSequence);
  const planned: Omit<PlannedPickLine, "lineNumber">[] = [];
  const fulfillmentIds: string[] = [];
  const unlocated: string[] = [];
  for (const candidate of candidates) {
    const taken: { key: string; units: number }[] = [];
    const drafts: Omit<PlannedPickLine, "lineNumber">[] = [];
    let complete = true;
    for (const line of candidate.lines) {
      let need = line.toPick;
      for (const loc of ordered) {
        if (need === 0) break;
        if (loc.sku !== line.sku || (line.lotCode !== "" && loc.lotCode !== line.lotCode)) continue;
        const key = locationKey(loc);
        const units = Math.min(need, left.get(key) ?? 0);
        if (units === 0) continue;
        left.set(key, (left.get(key) ?? 0) - units);
        taken.push({ key, units });
        need -= units;
        drafts.push({
          fulfillmentId: candidate.fulfillmentId,
          orderLineNumber: line.orderLineNumber,
          sku: line.sku,
          lotCode: loc.lotCode,
          binCode: loc.binCode,
          zone: loc.zone,
          aisle: loc.aisle,
          position: loc.position,
          pickSequence: loc.pickSequence,
          quantity: units,
        });
      }
      if (need > 0) complete = false;
    }
    if (!complete || drafts.length === 0) {
      for (const t of taken) left.set(t.key, (left.get(t.key) ?? 0) + t.units);
      unlocated.push(candidate.fulfillmentId);
      continue;
    }
    planned.push(...drafts);
    fulfillmentIds.push(candidate.fulfillmentId);
  }
  return {
    lines: inRouteOrder(planned).map((l, i) => ({ ...l, lineNumber: i + 1 })),
    fulfillmentIds,
    unlocated,
  };
}
