// Native xbstream support: parse, extract, and (for tests) write.
export { crc32 } from './crc32.js';
export { parseXbstream, type ParseOptions, type SparseEntry, type XbChunk } from './chunks.js';
export { extractXbstream, type ExtractOptions, type ExtractResult } from './extract.js';
export { XbstreamWriter, encodeChunk, encodeRawChunk } from './writer.js';
