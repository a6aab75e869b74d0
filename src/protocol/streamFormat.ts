/**
 * What a backup stream on the wire is: innobackupex streams tar, the other tools only xbstream.
 * The v2 greeting names it, and the receiving side unpacks by it.
 */
export type StreamFormat = 'tar' | 'xbstream';
