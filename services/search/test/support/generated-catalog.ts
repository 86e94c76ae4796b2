// A generated catalog for relevance tests and benchmarks, the same for a given size and seed: product
// lines (a made-up model word) of a brand and a product type, each in a few colours, with adjectives,
// categories, prices and stock; descriptions mention other product types, as real descriptions do
// ("pairs well with our hiking boots"), so a ranking that ignores field weights shows it.
import type { SearchDocument } from "../../src/domain/search-document.ts";

export interface ProductType {
  words: string;
  category: string;
}

export const PRODUCT_TYPES: ProductType[] = [
  { words: "running shoes", category: "apparel/shoes/running" },
  { words: "hiking boots", category: "apparel/shoes/hiking" },
  { words: "rain jacket", category: "apparel/outerwear" },
  { words: "down parka", category: "apparel/outerwear" },
  { words: "wool socks", category: "apparel/socks" },
  { words: "coffee mug", category: "home/kitchen" },
  { words: "chef knife", category: "home/kitchen" },
  { words: "frying pan", category: "home/kitchen" },
  { words: "desk lamp", category: "home/lighting" },
  { words: "wireless headphones", category: "electronics/audio" },
  { words: "bluetooth speaker", category: "electronics/audio" },
  { words: "mechanical keyboard", category: "electronics/computers" },
  { words: "gaming mouse", category: "electronics/computers" },
  { words: "bike helmet", category: "sports/cycling" },
  { words: "water bottle", category: "sports/outdoor" },
  { words: "yoga mat", category: "sports/fitness" },
  { words: "camping tent", category: "sports/outdoor" },
  { words: "backpack", category: "bags" },
  { words: "sunglasses", category: "accessories" },
  { words: "wrist watch", category: "accessories" },
];

export const BRANDS = [
  "Stride",
  "Northpeak",
  "Kiln",
  "Lumo",
  "Voltix",
  "Pacer",
  "Terra",
  "Aquila",
  "Brightside",
  "Cobalt",
  "Driftwood",
  "Emberly",
  "Fjordan",
  "Granite",
  "Helix",
  "Ironbark",
  "Juniper",
  "Kestrel",
  "Lattice",
  "Meridian",
];
export const ADJECTIVES = [
  "lightweight",
  "waterproof",
  "classic",
  "premium",
  "compact",
  "insulated",
  "ergonomic",
  "durable",
];
export const COLORS = ["black", "white", "red", "blue", "green", "grey"];

const SYLLABLES = [
  "ka",
  "lo",
  "mi",
  "zen",
  "tor",
  "vex",
  "ri",
  "sa",
  "dun",
  "pel",
  "qua",
  "bri",
  "os",
  "nar",
  "ly",
  "ter",
  "gal",
  "fi",
  "mon",
  "ux",
];

function mulberry32(seed: number) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface GeneratedProduct {
  document: SearchDocument;
  model: string;
  type: ProductType;
  brand: string;
  adjective: string;
  color: string;
}

function capitalize(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}

export function generateCatalog(size: number, seed = 16): GeneratedProduct[] {
  const random = mulberry32(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const models = new Set<string>();
  const products: GeneratedProduct[] = [];
  const epoch = Date.parse("2025-01-01T00:00:00.000Z");
  while (products.length < size) {
    let model = "";
    while (model === "" || models.has(model)) model = pick(SYLLABLES) + pick(SYLLABLES) + pick(SYLLABLES);
    models.add(model);
    const type = pick(PRODUCT_TYPES);
    const brand = pick(BRANDS);
    const adjective = pick(ADJECTIVES);
    const variants = 1 + Math.floor(random() * 5);
    const basePrice = 500 + Math.floor(random() * 200) * 100;
    for (let v = 0; v < variants && products.length < size; v++) {
      const color = COLORS[(products.length + v) % COLORS.length] as string;
      const other = pick(PRODUCT_TYPES.filter((t) => t !== type));
      const sku = `GEN-${String(products.length).padStart(6, "0")}`;
      const name = `${capitalize(model)} ${capitalize(adjective)} ${type.words.split(" ").map(capitalize).join(" ")}`;
      products.push({
        model,
        type,
        brand,
        adjective,
        color,
        document: {
          product: {
            sku,
            name,
            description: `A ${adjective} ${type.words} by ${brand} in ${color}. Pairs well with our ${other.words}.`,
            brand,
            categoryPath: type.category,
            attributes: {
              color: [color],
              material: [pick(["cotton", "steel", "nylon", "leather", "ceramic"])],
            },
            status: random() < 0.97 ? "active" : "archived",
            price: { amountMinor: basePrice + v * 100, currency: "EUR" },
            productVersion: 1,
            createdAt: new Date(epoch + products.length * 60_000),
          },
          stock: { available: random() < 0.7 ? Math.floor(random() * 50) + 1 : 0, stockVersion: 1 },
          rating: {
            average: Math.round(random() * 40 + 10) / 10,
            count: 1 + Math.floor(random() * 200),
            ratingVersion: 1,
          },
        },
      });
    }
  }
  return products;
}
