// Client address allowlist: CIDRs (IPv4 and IPv6) matched with node:net's BlockList.
import { ValueError } from '../config/values.js';
import { lazyBuiltin } from '../process/lazyBuiltin.js';

/** node:net, loaded when an address is first checked (~4 ms a plugin call otherwise). */
const net = lazyBuiltin<typeof import('node:net')>('node:net');

/** An IPv4 peer on a dual-stack socket shows as ::ffff:a.b.c.d: compare it as IPv4. */
function plainAddress(address: string): string {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return m?.[1] ?? address;
}

interface Cidr {
  address: string;
  prefix: number;
  family: 'ipv4' | 'ipv6';
}

function parseCidr(text: string): Cidr {
  const [addr = '', prefixText, extra] = text.split('/');
  const address = plainAddress(addr);
  const version = net().isIP(address);
  if (extra !== undefined || version === 0) {
    throw new ValueError(`entry '${text}' is not an address or a CIDR (e.g. 10.0.0.0/24, fd00::/8)`);
  }
  const max = version === 4 ? 32 : 128;
  if (prefixText !== undefined && !/^\d{1,3}$/.test(prefixText)) {
    throw new ValueError(`entry '${text}' has a bad prefix length`);
  }
  const prefix = prefixText === undefined ? max : Number(prefixText);
  if (prefix > max) throw new ValueError(`entry '${text}': prefix longer than ${max}`);
  return { address, prefix, family: version === 4 ? 'ipv4' : 'ipv6' };
}

/** "127.0.0.0/8, ::1 10.1.2.3" -> the entries, each checked; an empty list is an error. */
export function parseCidrList(text: string): string[] {
  const entries = text.split(/[\s,]+/).filter((e) => e !== '');
  if (entries.length === 0) throw new ValueError('is empty (no client could connect)');
  for (const e of entries) parseCidr(e);
  return entries;
}

/** True when address (as a socket reports it) is inside one of the CIDRs. */
export function addressAllowed(address: string, cidrs: readonly string[]): boolean {
  const plain = plainAddress(address);
  const version = net().isIP(plain);
  if (version === 0) return false;
  const list = new (net().BlockList)();
  for (const entry of cidrs) {
    const c = parseCidr(entry);
    list.addSubnet(c.address, c.prefix, c.family);
  }
  return list.check(plain, version === 4 ? 'ipv4' : 'ipv6');
}
