// Protocol version strings: the first line of every request.

/** What the 1.8b5_palomino socket-copy client sends and the old server accepted. */
export const LEGACY_VERSION = '1.8b5_palomino';

/** Our own client and server: status line after the header, raw frames, a verified trailer. */
export const V2_VERSION = '2.0_zrm-innobackupex';

/** What stock ZRM's socket-copy.pl sends; a different protocol that we do not speak. */
export const STOCK_VERSION = '1.8';
