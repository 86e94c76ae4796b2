// GetOrder and ListOrders: an order with its payment and checkout, and one customer's orders.
import { ErrorReason, notFound } from "@stockroom/errors";
import { findOrder, listOrderIds } from "../data/order.repo.ts";
import { findPaymentOfOrder } from "../data/payment.repo.ts";
import { findSagaByOrder } from "../data/saga.repo.ts";
import type { OrderAggregate } from "./order-message.ts";
import type { UseCaseDeps } from "./use-case-deps.ts";

export function orderNotFound(orderId: string) {
  return notFound(ErrorReason.ORDER_NOT_FOUND, `order ${orderId} does not exist`, { order_id: orderId });
}

export async function loadOrder(
  deps: Pick<UseCaseDeps, "db">,
  orderId: string,
): Promise<OrderAggregate | undefined> {
  const [order, payment, saga] = await Promise.all([
    findOrder(deps.db, orderId),
    findPaymentOfOrder(deps.db, orderId),
    findSagaByOrder(deps.db, orderId),
  ]);
  return order ? { order, payment, saga } : undefined;
}

export function getOrderUseCase(deps: UseCaseDeps) {
  return async function getOrder(orderId: string): Promise<OrderAggregate> {
    const found = await loadOrder(deps, orderId);
    if (!found) throw orderNotFound(orderId);
    return found;
  };
}

export interface ListOrdersQuery {
  customerId: string;
  statuses: string[];
  pageSize: number;
  // The last order id of the previous page.
  afterOrderId?: string;
}

export function listOrdersUseCase(deps: UseCaseDeps) {
  return async function listOrders(
    query: ListOrdersQuery,
  ): Promise<{ orders: OrderAggregate[]; nextAfter?: string }> {
    const ids = await listOrderIds(deps.db, {
      customerId: query.customerId,
      statuses: query.statuses,
      limit: query.pageSize + 1,
      ...(query.afterOrderId ? { afterOrderId: query.afterOrderId } : {}),
    });
    const page = ids.slice(0, query.pageSize);
    const orders = (await Promise.all(page.map((id) => loadOrder(deps, id)))).filter(
      (o): o is OrderAggregate => o !== undefined,
    );
    const last = page.at(-1);
    return ids.length > query.pageSize && last ? { orders, nextAfter: last } : { orders };
  };
}
