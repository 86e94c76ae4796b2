// A pipeline failure as a ConnectError, and a ConnectError a client received as a GrpcCallError: the
// same code, message and details on both transports. The google.rpc.Status details (ErrorInfo,
// BadRequest, PreconditionFailure, RequestInfo) become Connect error details (in Connect JSON each with
// a readable "debug" copy); the ErrorDetail and x-request-id travel as headers, as they travel as
// trailers over gRPC.
import { create, createRegistry, fromBinary, type Registry, toBinary } from "@bufbuild/protobuf";
import { anyUnpack } from "@bufbuild/protobuf/wkt";
import { type Code, ConnectError } from "@connectrpc/connect";
import { Metadata, type status } from "@grpc/grpc-js";
import {
  BadRequestSchema,
  ErrorInfoSchema,
  PreconditionFailureSchema,
  RequestInfoSchema,
} from "@stockroom/proto/google/rpc/error_details_pb.js";
import { StatusSchema } from "@stockroom/proto/google/rpc/status_pb.js";
import { GrpcCallError } from "./client.ts";
import { ERROR_DETAIL_METADATA_KEY, type GrpcStatus, STATUS_DETAILS_METADATA_KEY } from "./error-status.ts";

const DETAIL_REGISTRY: Registry = createRegistry(
  ErrorInfoSchema,
  BadRequestSchema,
  PreconditionFailureSchema,
  RequestInfoSchema,
);

const TYPE_URL_PREFIX = "type.googleapis.com/";
const REQUEST_ID_HEADER = "x-request-id";

type OutgoingDetail = ConstructorParameters<typeof ConnectError>[3] extends (infer D)[] | undefined
  ? D
  : never;

/** The status toGrpcStatus made, as the ConnectError a Connect handler throws. gRPC codes are Connect's. */
export function toConnectError(grpcStatus: GrpcStatus): ConnectError {
  const headers = new Headers();
  const requestId = grpcStatus.metadata.get(REQUEST_ID_HEADER)[0];
  if (typeof requestId === "string") headers.set(REQUEST_ID_HEADER, requestId);
  const errorDetail = grpcStatus.metadata.get(ERROR_DETAIL_METADATA_KEY)[0];
  if (errorDetail instanceof Buffer) headers.set(ERROR_DETAIL_METADATA_KEY, errorDetail.toString("base64"));
  const details: OutgoingDetail[] = [];
  const rawStatus = grpcStatus.metadata.get(STATUS_DETAILS_METADATA_KEY)[0];
  if (rawStatus instanceof Buffer) {
    for (const any of fromBinary(StatusSchema, rawStatus).details) {
      const message = anyUnpack(any, DETAIL_REGISTRY);
      const desc = message === undefined ? undefined : DETAIL_REGISTRY.getMessage(message.$typeName);
      if (message !== undefined && desc !== undefined) details.push({ desc, value: message as never });
    }
  }
  return new ConnectError(grpcStatus.details, grpcStatus.code as number as Code, headers, details);
}

/**
 * A ConnectError as the GrpcCallError a gRPC client would have thrown for the same failure: its
 * errorDetail and statusDetails read what the Connect response carried.
 */
export function grpcCallErrorFrom(err: ConnectError): GrpcCallError {
  const metadata = new Metadata();
  const requestId = err.metadata.get(REQUEST_ID_HEADER);
  if (requestId !== null) metadata.set(REQUEST_ID_HEADER, requestId);
  const errorDetail = err.metadata.get(ERROR_DETAIL_METADATA_KEY);
  if (errorDetail !== null) metadata.set(ERROR_DETAIL_METADATA_KEY, Buffer.from(errorDetail, "base64"));
  if (err.details.length > 0) {
    const details = err.details.map((detail) =>
      "desc" in detail
        ? {
            typeUrl: TYPE_URL_PREFIX + detail.desc.typeName,
            value: toBinary(detail.desc, create(detail.desc, detail.value as never)),
          }
        : { typeUrl: TYPE_URL_PREFIX + detail.type, value: detail.value },
    );
    const rpcStatus = toBinary(
      StatusSchema,
      create(StatusSchema, { code: err.code, message: err.rawMessage, details }),
    );
    metadata.set(STATUS_DETAILS_METADATA_KEY, Buffer.from(rpcStatus));
  }
  return new GrpcCallError(err.code as number as status, err.rawMessage, metadata);
}
