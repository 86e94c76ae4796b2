// A sku's rating figures: count, sum and the 1–5 histogram of its published reviews, all of them and the
// verified ones. Changes are deltas of one review's contribution (before → after), so the figures equal
// a recomputation from the reviews as long as every contribution change goes through here.
import { type Contribution, MAX_RATING, MIN_RATING } from "./review.ts";

export type Histogram = [number, number, number, number, number];

export interface Figures {
  count: number;
  sum: number;
  histogram: Histogram;
}

export interface RatingFigures {
  sku: string;
  all: Figures;
  verified: Figures;
  version: number;
  updatedAt: Date;
}

export interface FiguresDelta {
  all: Histogram;
  verified: Histogram;
}

export const emptyHistogram = (): Histogram => [0, 0, 0, 0, 0];

export function emptyFigures(): Figures {
  return { count: 0, sum: 0, histogram: emptyHistogram() };
}

function add(histogram: Histogram, rating: number, by: number): void {
  if (rating < MIN_RATING || rating > MAX_RATING) throw new Error(`rating ${rating} out of range`);
  histogram[rating - 1] = (histogram[rating - 1] ?? 0) + by;
}

export function contributionDelta(before: Contribution | null, after: Contribution | null): FiguresDelta {
  const delta: FiguresDelta = { all: emptyHistogram(), verified: emptyHistogram() };
  for (const [contribution, sign] of [
    [before, -1],
    [after, 1],
  ] as const) {
    if (!contribution) continue;
    if (contribution.all) add(delta.all, contribution.rating, sign);
    if (contribution.verified) add(delta.verified, contribution.rating, sign);
  }
  return delta;
}

export function isZeroDelta(delta: FiguresDelta): boolean {
  return delta.all.every((n) => n === 0) && delta.verified.every((n) => n === 0);
}

export function figuresFromHistogram(histogram: Histogram): Figures {
  let count = 0;
  let sum = 0;
  histogram.forEach((n, i) => {
    count += n;
    sum += n * (i + 1);
  });
  return { count, sum, histogram };
}

export function averageOf(figures: Figures): number {
  return figures.count === 0 ? 0 : figures.sum / figures.count;
}
