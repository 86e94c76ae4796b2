// SetShippingDestination and SetPaymentMethod: what a checkout needs besides lines.
import { ErrorReason, failedPrecondition } from "@stockroom/errors";
import { setCartPaymentMethod, setCartShippingDestination } from "../data/cart.repo.ts";
import { assertCartOpen } from "../domain/cart-rules.ts";
import type { PaymentMethodType } from "../domain/payment-status.ts";
import { type CartCommand, changeCart } from "./cart-change.ts";
import type { CartView } from "./cart-view.ts";
import type { RequestContext, UseCaseDeps } from "./use-case-deps.ts";

export interface SetShippingDestinationCommand extends CartCommand {
  destination: Record<string, unknown>;
}

export function setShippingDestinationUseCase(deps: UseCaseDeps) {
  return (command: SetShippingDestinationCommand, ctx: RequestContext): Promise<CartView> =>
    changeCart(deps, "set-shipping-destination", command, ctx, async (trx, cart) => {
      assertCartOpen(cart);
      await setCartShippingDestination(trx, cart.cartId, command.destination);
    });
}

export interface SetPaymentMethodCommand extends CartCommand {
  method: PaymentMethodType;
  token: string;
}

export function setPaymentMethodUseCase(deps: UseCaseDeps) {
  return (command: SetPaymentMethodCommand, ctx: RequestContext): Promise<CartView> => {
    const provider = deps.paymentProviders.find((p) => p.supports(command.method));
    if (!provider) {
      throw failedPrecondition(
        ErrorReason.PAYMENT_METHOD_NOT_SUPPORTED,
        `no payment provider of this service takes ${command.method}`,
        { method: command.method },
      );
    }
    return changeCart(deps, "set-payment-method", command, ctx, async (trx, cart) => {
      assertCartOpen(cart);
      await setCartPaymentMethod(trx, cart.cartId, command.method, command.token);
    });
  };
}
