// One sku's rating figures as the review service reported them (a RatingSummaryChanged event): every
// published review's mean and count, and the summary's version, which only moves forward.
import type { RatingUpdate } from "./search-document.ts";
import { SKU_PATTERN } from "./stock-level.ts";

export interface SkuRating extends RatingUpdate {
  updatedAt: Date;
}

export function isValidRating(rating: SkuRating): boolean {
  return (
    SKU_PATTERN.test(rating.sku) &&
    Number.isSafeInteger(rating.ratingVersion) &&
    rating.ratingVersion >= 1 &&
    Number.isSafeInteger(rating.count) &&
    rating.count >= 0 &&
    Number.isFinite(rating.average) &&
    rating.average >= 0 &&
    rating.average <= 5 &&
    (rating.count > 0 || rating.average === 0)
  );
}
