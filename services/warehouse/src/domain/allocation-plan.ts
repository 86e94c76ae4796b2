// Decides which warehouse serves each reservation line: lines that name a warehouse are served there;
// the others go to the fewest warehouses that can serve them whole, then the nearest to the
// destination, then the highest priority (lowest number). A line is split over warehouses only when
// the caller allows it. Lines of the same sku draw on the same pool, so two lines can never together
// take more than is there.
export interface DemandLine {
  lineNumber: number;
  sku: string;
  quantity: number;
  warehouseCode?: string | undefined;
}

export interface WarehouseRank {
  code: string;
  priority: number;
  latitude: number | null;
  longitude: number | null;
}

export interface Coordinates {
  latitude: number;
  longitude: number;
}

export interface PlanOptions {
  allowPartial: boolean;
  allowSplit: boolean;
  destination?: Coordinates | undefined;
}

export interface LinePart {
  warehouseCode: string;
  quantity: number;
}

export interface PlannedLine {
  lineNumber: number;
  sku: string;
  parts: LinePart[];
}

export interface LineShortage {
  lineNumber: number;
  sku: string;
  requested: number;
  // What was still free for this line when it was planned (at its warehouse, or over all of them).
  available: number;
  warehouseCode: string;
}

export interface AllocationPlan {
  lines: PlannedLine[];
  shortages: LineShortage[];
}

// Sellable units per warehouse and sku: key `${warehouse}\u0000${sku}`.
export type SellableStock = Map<string, number>;

const key = (warehouseCode: string, sku: string) => `${warehouseCode}\u0000${sku}`;

export function sellableKey(warehouseCode: string, sku: string): string {
  return key(warehouseCode, sku);
}

export function distanceKm(a: Coordinates, b: Coordinates): number {
  const rad = Math.PI / 180;
  const dLat = (b.latitude - a.latitude) * rad;
  const dLon = (b.longitude - a.longitude) * rad;
  const h =
    Math.sin(dLat / 2) ** 2 +
    Math.cos(a.latitude * rad) * Math.cos(b.latitude * rad) * Math.sin(dLon / 2) ** 2;
  return 6371 * 2 * Math.asin(Math.min(1, Math.sqrt(h)));
}

function rankWarehouses(warehouses: WarehouseRank[], destination: Coordinates | undefined): WarehouseRank[] {
  const distance = (w: WarehouseRank) =>
    destination && w.latitude !== null && w.longitude !== null
      ? distanceKm(destination, { latitude: w.latitude, longitude: w.longitude })
      : Number.POSITIVE_INFINITY;
  return [...warehouses].sort(
    (a, b) => distance(a) - distance(b) || a.priority - b.priority || a.code.localeCompare(b.code),
  );
}

export function planAllocation(
  lines: DemandLine[],
  warehouses: WarehouseRank[],
  stock: SellableStock,
  options: PlanOptions,
): AllocationPlan {
  const free = new Map(stock);
  const take = (warehouseCode: string, sku: string, quantity: number) =>
    free.set(key(warehouseCode, sku), (free.get(key(warehouseCode, sku)) ?? 0) - quantity);
  const freeAt = (warehouseCode: string, sku: string) => Math.max(0, free.get(key(warehouseCode, sku)) ?? 0);

  const planned = new Map<number, PlannedLine>();
  const shortages: LineShortage[] = [];
  const plan = (line: DemandLine, parts: LinePart[]) => {
    for (const part of parts) take(part.warehouseCode, line.sku, part.quantity);
    planned.set(line.lineNumber, { lineNumber: line.lineNumber, sku: line.sku, parts });
  };

  // Lines pinned to a warehouse, summed per sku by consuming the same pool in line order.
  for (const line of lines) {
    if (!line.warehouseCode) continue;
    const available = freeAt(line.warehouseCode, line.sku);
    if (available >= line.quantity) {
      plan(line, [{ warehouseCode: line.warehouseCode, quantity: line.quantity }]);
      continue;
    }
    shortages.push({
      lineNumber: line.lineNumber,
      sku: line.sku,
      requested: line.quantity,
      available,
      warehouseCode: line.warehouseCode,
    });
    if (options.allowPartial && available > 0)
      plan(line, [{ warehouseCode: line.warehouseCode, quantity: available }]);
  }

  // Unpinned lines: repeatedly pick the warehouse that can serve the most remaining lines whole.
  const ranked = rankWarehouses(warehouses, options.destination);
  let open = lines.filter((line) => !line.warehouseCode);
  while (open.length > 0) {
    let best: { warehouse: WarehouseRank; served: DemandLine[] } | undefined;
    for (const warehouse of ranked) {
      const served = linesServedWhole(open, warehouse.code, freeAt);
      if (served.length > (best?.served.length ?? 0)) best = { warehouse, served };
    }
    if (!best) break;
    for (const line of best.served)
      plan(line, [{ warehouseCode: best.warehouse.code, quantity: line.quantity }]);
    const servedNumbers = new Set(best.served.map((line) => line.lineNumber));
    open = open.filter((line) => !servedNumbers.has(line.lineNumber));
  }

  // What no single warehouse can serve whole: split when allowed, else partial from the best one.
  for (const line of open) {
    const parts: LinePart[] = [];
    let missing = line.quantity;
    const candidates = options.allowSplit
      ? ranked
      : ranked
          .slice()
          .sort((a, b) => freeAt(b.code, line.sku) - freeAt(a.code, line.sku))
          .slice(0, 1);
    for (const warehouse of candidates) {
      if (missing === 0) break;
      const quantity = Math.min(missing, freeAt(warehouse.code, line.sku));
      if (quantity > 0) {
        parts.push({ warehouseCode: warehouse.code, quantity });
        missing -= quantity;
      }
    }
    if (missing === 0) {
      plan(line, parts);
      continue;
    }
    shortages.push({
      lineNumber: line.lineNumber,
      sku: line.sku,
      requested: line.quantity,
      available: line.quantity - missing,
      warehouseCode: parts.length === 1 ? (parts[0]?.warehouseCode ?? "") : "",
    });
    if (options.allowPartial && parts.length > 0) plan(line, parts);
  }

  return {
    lines: lines.flatMap((line) => planned.get(line.lineNumber) ?? []),
    shortages: shortages.sort((a, b) => a.lineNumber - b.lineNumber),
  };
}

function linesServedWhole(
  open: DemandLine[],
  warehouseCode: string,
  freeAt: (warehouseCode: string, sku: string) => number,
): DemandLine[] {
  const used = new Map<string, number>();
  const served: DemandLine[] = [];
  for (const line of open) {
    const already = used.get(line.sku) ?? 0;
    if (freeAt(warehouseCode, line.sku) - already >= line.quantity) {
      used.set(line.sku, already + line.quantity);
      served.push(line);
    }
  }
  return served;
}
