// A product's rating figures as the review service last reported them (its RatingSummaryChanged events);
// summaryVersion only grows, so an older report never replaces a newer one.
export interface ProductRating {
  reviewCount: number;
  averageRating: number;
  verifiedReviewCount: number;
  verifiedAverageRating: number;
  summaryVersion: number;
}

// One RatingSummaryChanged as the projection applies it.
export interface SkuRating extends ProductRating {
  sku: string;
  // When the review service changed the figures.
  updatedAt: Date;
}
