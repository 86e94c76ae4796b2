// What a handler learns about its call besides the request: who calls, until when, and how to stop.

import { randomUUID } from "node:crypto";
import type { Metadata } from "@grpc/grpc-js";
import type { Principal } from "@stockroom/auth";
import type { Logger } from "@stockroom/logging";

export interface CallContext {
  /** The verified caller; undefined only for "public" methods. */
  readonly principal: Principal | undefined;
  /** When the client stops waiting; undefined when it set no deadline. */
  readonly deadline: Date | undefined;
  /** Aborted when the client cancels or the deadline passes: pass it to every I/O call. */
  readonly signal: AbortSignal;
  readonly metadata: Metadata;
  readonly requestId: string;
  /** W3C trace id (32 hex chars) from the caller's traceparent, when it sent one. */
  readonly traceId: string | undefined;
  /** The raw traceparent header, to forward on outgoing calls and into event envelopes. */
  readonly traceparent: string | undefined;
  /** Child logger carrying requestId, traceId and the RPC name. */
  readonly logger: Logger;
}

const REQUEST_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;
const TRACEPARENT_PATTERN = /^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/;

export function firstMetadataValue(metadata: Metadata, key: string): string | undefined {
  const value = metadata.get(key)[0];
  return typeof value === "string" ? value : undefined;
}

// A caller-supplied request id is kept only when it looks like an id, so logs cannot be polluted.
export function requestIdFrom(metadata: Metadata): string {
  const given = firstMetadataValue(metadata, "x-request-id");
  return given !== undefined && REQUEST_ID_PATTERN.test(given) ? given : randomUUID();
}

export function traceFrom(metadata: Metadata): { traceparent: string; traceId: string } | undefined {
  const traceparent = firstMetadataValue(metadata, "traceparent")?.trim().toLowerCase();
  const match = traceparent === undefined ? null : TRACEPARENT_PATTERN.exec(traceparent);
  if (traceparent === undefined || match === null || match[1] === undefined) return undefined;
  if (/^0+$/.test(match[1])) return undefined;
  return { traceparent, traceId: match[1] };
}

export function bearerTokenFrom(metadata: Metadata): string | undefined {
  const header = firstMetadataValue(metadata, "authorization");
  if (header === undefined) return undefined;
  const match = /^Bearer\s+(\S+)$/i.exec(header.trim());
  return match?.[1];
}

export function deadlineFrom(raw: Date | number): Date | undefined {
  const ms = raw instanceof Date ? raw.getTime() : raw;
  return Number.isFinite(ms) ? new Date(ms) : undefined;
}
