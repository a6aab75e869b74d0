// Bounds on everything a client sends before its data stream. ZRM's largest request is a
// create-link list of a few KB per database; these leave room for thousands of databases while
// keeping one connection's memory small.

/** One header line (the params of mysqlhotcopy list every database name). */
export const MAX_HEADER_LINE = 64 * 1024;
/** The version line: the longest version string is 20 characters. */
export const MAX_VERSION_LINE = 256;
/** One extra line after the header (a `SOURCE TARGET` pair is two paths of at most 4096). */
export const MAX_EXTRA_LINE = 16 * 1024;
/** Number of extra lines one request may announce. */
export const MAX_EXTRA_LINES = 50_000;
/** Total bytes of one request's extra lines. */
export const MAX_EXTRA_BYTES = 1024 * 1024;
