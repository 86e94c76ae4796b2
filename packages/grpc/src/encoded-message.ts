// A response a handler has already encoded, e.g. once per cached value instead of once per call: the
// server's serializer sends its bytes as they are. It is the one way to skip per-call encoding, and it can
// only be made by EncodedMessage.encode, which encodes through the schema, so the bytes always are a valid
// message of the type it names.
import { create, type DescMessage, type MessageInitShape, toBinary } from "@bufbuild/protobuf";

export class EncodedMessage<Desc extends DescMessage> {
  /** The message type the bytes encode; the serializer refuses them for a method with another output. */
  readonly schema: Desc;
  /** Read-only: the same bytes may answer many calls. */
  readonly bytes: Buffer;

  private constructor(schema: Desc, bytes: Buffer) {
    this.schema = schema;
    this.bytes = bytes;
  }

  /** Encodes now; answer with the result for as long as the message it encodes stays current. */
  static encode<Desc extends DescMessage>(schema: Desc, init: MessageInitShape<Desc>): EncodedMessage<Desc> {
    const bytes = toBinary(schema, create(schema, init));
    return new EncodedMessage(schema, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  }
}
