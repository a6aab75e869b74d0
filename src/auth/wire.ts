// The v2 secure hello and the HMAC-SHA256 challenge-response (docs/DESIGN.md, "Who may
// connect"). Pure functions: lines in, lines out, MACs; no sockets.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { V2_VERSION } from '../protocol/versions.js';

export const NONCE_BYTES = 32;
const HELLO_PREFIX = `${V2_VERSION} HELLO`;
const FEATURES = ['hmac-sha256', 'tls'] as const;
export type Feature = (typeof FEATURES)[number];
/** Label of the TLS keying material both sides mix into their MACs (RFC 5705 exporter). */
export const TLS_EXPORTER_LABEL = 'EXPORTER-zrm-innobackupex-auth';

/** Features in their one canonical order, so both sides MAC the same words. */
export function canonical(features: Iterable<Feature>): Feature[] {
  const set = new Set(features);
  return FEATURES.filter((f) => set.has(f));
}

export function formatClientHello(features: readonly Feature[]): string {
  return `${HELLO_PREFIX} ${canonical(features).join(' ')}\n`;
}

/** The features of a client hello line (without '\n'), or undefined when it is none. */
export function parseClientHello(line: string): Feature[] | string | undefined {
  if (line !== HELLO_PREFIX && !line.startsWith(`${HELLO_PREFIX} `)) return undefined;
  const words = line.slice(HELLO_PREFIX.length).split(' ').filter((w) => w !== '');
  const unknown = words.find((w) => !(FEATURES as readonly string[]).includes(w));
  if (unknown !== undefined) return `unknown feature ${JSON.stringify(unknown.slice(0, 40))} in the hello`;
  return canonical(words as Feature[]);
}

export function formatServerHello(serverNonce: Buffer, features: readonly Feature[]): string {
  return `HELLO ${serverNonce.toString('hex')} ${canonical(features).join(' ')}\n`;
}

export function parseServerHello(line: string): { serverNonce: Buffer; features: Feature[] } | undefined {
  const m = /^HELLO ([0-9a-f]{64})((?: [a-z0-9-]+)*)$/.exec(line);
  if (!m) return undefined;
  const words = (m[2] ?? '').split(' ').filter((w) => w !== '');
  if (words.some((w) => !(FEATURES as readonly string[]).includes(w))) return undefined;
  return { serverNonce: Buffer.from(m[1] as string, 'hex'), features: canonical(words as Feature[]) };
}

export const newNonce = (): Buffer => randomBytes(NONCE_BYTES);

/** What both MACs are bound to: both nonces, the features agreed, the TLS session if any. */
export interface Transcript {
  serverNonce: Buffer;
  clientNonce: Buffer;
  features: readonly Feature[];
  /** TLS exporter keying material; empty without TLS. */
  binding: Buffer;
}

/**
 * HMAC-SHA256 over a role label (so neither side's proof can be reflected as the other's), the
 * transcript, and for the client the exact request header bytes (so no line can be altered).
 */
export function computeMac(secret: Buffer, role: 'server' | 'client', t: Transcript, header = ''): Buffer {
  const h = createHmac('sha256', secret);
  h.update(`zrm-innobackupex auth v1 ${role}\n`);
  h.update(t.serverNonce);
  h.update(t.clientNonce);
  h.update(`${canonical(t.features).join(' ')}\n`);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(t.binding.length);
  h.update(len);
  h.update(t.binding);
  h.update(header);
  return h.digest();
}

/** Constant-time comparison of a MAC received as hex text with the expected one. */
export function macMatches(expected: Buffer, receivedHex: string): boolean {
  if (!/^[0-9a-f]{64}$/.test(receivedHex)) return false;
  return timingSafeEqual(expected, Buffer.from(receivedHex, 'hex'));
}

export function parseTagged(line: string | null, tag: 'AUTH' | 'MAC'): string | undefined {
  if (line === null || !line.startsWith(`${tag} `)) return undefined;
  return line.slice(tag.length + 1);
}
