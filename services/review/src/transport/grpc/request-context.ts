// The use cases' RequestContext from a call: the token subject is the actor and scopes the idempotency
// keys (and, on ReviewService, is the author: a customer id is never read from a request).
import type { CallContext } from "@stockroom/grpc";
import type { RequestContext } from "../../app/use-case-deps.ts";

export function requestContextFrom(ctx: CallContext): RequestContext {
  const subject = ctx.principal?.subject ?? "anonymous";
  return {
    producer: "review",
    actor: subject,
    principal: subject,
    correlationId: ctx.requestId,
    traceId: ctx.traceId,
    traceparent: ctx.traceparent,
  };
}
