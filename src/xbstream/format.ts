// The xbstream chunk layout (see PROTOCOL.md §7; checked against Percona XtraBackup's and
// MariaDB's xbstream_read.cc / xbstream_write.cc). All integers are little-endian.
//
//   magic "XBSTCK01" (8) | flags (1) | type (1) | path length (4) | path
//   E stops here.
//   S only: sparse map entry count (4)
//   payload length (8) | payload offset (8) | CRC-32 of sparse map + payload (4)
//   S only: map entries, (skip u32, len u32) each | payload

export const MAGIC = Buffer.from('XBSTCK01', 'latin1');

/** Flag bit: a reader that does not know the chunk's type may skip it. */
export const FLAG_IGNORABLE = 0x01;

export const TYPE_PAYLOAD = 0x50; // 'P'
export const TYPE_SPARSE = 0x53; // 'S' (XtraBackup 8.0)
export const TYPE_EOF = 0x45; // 'E'

/** magic + flags + type + path length. */
export const FIXED_HEADER_LEN = 14;
/** payload length + payload offset + checksum. */
export const PAYLOAD_HEADER_LEN = 20;
export const SPARSE_COUNT_LEN = 4;
export const SPARSE_ENTRY_LEN = 8;

/** Paths this long or longer are refused (the tools themselves stop at FN_REFLEN = 512). */
export const MAX_PATH_LEN = 4096;

/**
 * Default limit on one chunk's payload, the largest buffer a reader holds. Writers buffer
 * 10 MiB a chunk (a single larger write() goes out as one chunk, but the tools read data files
 * in pieces of a few MiB); anything past this is a corrupt or hostile length, not data.
 */
export const DEFAULT_MAX_CHUNK_BYTES = 64 * 1024 * 1024;

/**
 * Limit on one chunk's sparse map (8 bytes an entry). XtraBackup maps holes per page, so a
 * 64 MiB chunk of 4 KiB pages needs 16384 entries; 1 MiB allows eight times that.
 */
export const MAX_SPARSE_MAP_BYTES = 1024 * 1024;

/**
 * Default limit on the apparent size of one extracted file, holes included ([client]
 * max_file_size). Far above any InnoDB file a ZRM backup holds, far below what a hostile stream
 * could claim with a few KB (a sparse hole of 4 GiB per 8-byte map entry).
 */
export const DEFAULT_MAX_FILE_SIZE = 4n * 1024n ** 4n;
