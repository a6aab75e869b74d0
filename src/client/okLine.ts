import type { Socket } from 'node:net';
import type { StreamReader } from '../protocol/streamReader.js';
import { hasOkDetails, parseOkDetails } from '../protocol/versions.js';
import type { Conversation } from './connection.js';

/** The conversation a v2 OK line opens; from 2.1 on its `key=value` details are split off the word. */
export function v2Conversation(version: string, socket: Socket, reader: StreamReader, okText: string): Conversation {
  if (!hasOkDetails(version)) return { protocol: 'v2', socket, reader, greeting: okText, details: new Map() };
  const { word, details } = parseOkDetails(okText);
  return { protocol: 'v2', socket, reader, greeting: word, details };
}
