// Every Kafka topic and consumer group of Stockroom, named once: producers (outbox rows) and consumers
// import these, never a literal. One topic per aggregate type, versioned (ARCHITECTURE.md §3); a consumer
// group is named <consuming service>.<what it builds>.

export const WAREHOUSE_STOCK_TOPIC = "warehouse.stock.v1";
export const WAREHOUSE_RESERVATION_TOPIC = "warehouse.reservation.v1";
export const CATALOG_PRODUCT_TOPIC = "catalog.product.v1";
export const ORDER_TOPIC = "order.order.v1";
export const FULFILLMENT_TOPIC = "fulfillment.fulfillment.v1";
export const FULFILLMENT_RETURN_TOPIC = "fulfillment.return.v1";
export const REVIEW_TOPIC = "review.review.v1";

/** The catalog's availability projection, fed by WAREHOUSE_STOCK_TOPIC. */
export const CATALOG_STOCK_PROJECTION_GROUP = "catalog.stock-projection";
/** Fulfillment orders from ORDER_TOPIC: OrderConfirmed creates them, OrderCancelled cancels them. */
export const FULFILLMENT_ORDER_EVENTS_GROUP = "fulfillment.order-events";
/** The order's lines and payment from FULFILLMENT_TOPIC: shipped (capture), delivered, short. */
export const ORDER_FULFILLMENT_EVENTS_GROUP = "order.fulfillment-events";
/** Returns and their refunds from FULFILLMENT_RETURN_TOPIC. */
export const ORDER_RETURN_EVENTS_GROUP = "order.return-events";
/** Review's verified-purchase projection from ORDER_TOPIC: OrderDelivered and OrderReturned. */
export const REVIEW_ORDER_EVENTS_GROUP = "review.purchase-projection";
/** The catalog's rating figures per sku, from REVIEW_TOPIC's RatingSummaryChanged events. */
export const CATALOG_RATING_PROJECTION_GROUP = "catalog.rating-projection";
/** The search index's product documents, fed by CATALOG_PRODUCT_TOPIC. */
export const SEARCH_PRODUCT_INDEX_GROUP = "search.product-index";
/** The search index's in-stock flags, fed by WAREHOUSE_STOCK_TOPIC. */
export const SEARCH_STOCK_INDEX_GROUP = "search.stock-index";
/** The search index's rating figures, fed by REVIEW_TOPIC's RatingSummaryChanged events. */
export const SEARCH_RATING_INDEX_GROUP = "search.rating-index";
