// The xbstream parser reads through the same chunk-queue reader as the wire protocols; this
// keeps its name and its behaviour: the source's own errors pass through, strings are refused.
import { StreamReader } from '../protocol/streamReader.js';

export class ByteReader extends StreamReader {
  constructor(source: AsyncIterable<Buffer | Uint8Array>) {
    super(source, { wrapReadErrors: false, bytesOnly: true });
  }
}
