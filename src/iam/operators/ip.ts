// IP address condition operators (IAM User Guide, "Condition operators", IP address): an address against a
// CIDR block (RFC 4632) of IPv4 or IPv6 (RFC 4291); a block without a prefix length is one address; /0 is
// every address of its family; an IPv4 address never lies in an IPv6 block, nor the other way round.
import { patternText } from '../variables.js';
import type { Operator } from './types.js';

/** An address as a bit string, with its family's width; undefined when it is not an address. */
export function parseAddress(text: string): { bits: bigint; width: 32 | 128 } | undefined {
  const t = text.trim();
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(t);
  if (v4) {
    const octets = v4.slice(1).map(Number);
    if (octets.some((o) => o > 255)) return undefined;
    return { bits: octets.reduce((n, o) => (n << 8n) | BigInt(o), 0n), width: 32 };
  }
  if (!t.includes(':') || !/^[0-9a-fA-F:]+$/.test(t)) return undefined;
  const halves = t.split('::');
  if (halves.length > 2) return undefined;
  const groups = (s: string) => (s === '' ? [] : s.split(':'));
  const head = groups(halves[0]);
  const tail = halves.length === 2 ? groups(halves[1]) : [];
  const missing = 8 - head.length - tail.length;
  if ((halves.length === 2 ? missing < 1 : missing !== 0) || [...head, ...tail].some((g) => !/^[0-9a-fA-F]{1,4}$/.test(g))) {
    return undefined;
  }
  const all = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...tail];
  return { bits: all.reduce((n, g) => (n << 16n) | BigInt(Number.parseInt(g, 16)), 0n), width: 128 };
}

/** Whether an address lies in a CIDR block of the same family. */
export function inBlock(address: string, block: string): boolean {
  const [base, length, ...rest] = block.trim().split('/');
  const ip = parseAddress(address);
  const net = parseAddress(base);
  if (!ip || !net || ip.width !== net.width || rest.length) return false;
  const prefix = length === undefined ? net.width : /^\d{1,3}$/.test(length) ? Number(length) : Number.NaN;
  if (!(prefix >= 0 && prefix <= net.width)) return false;
  const shift = BigInt(net.width - prefix);
  return ip.bits >> shift === net.bits >> shift;
}

/** Whether the blocks hold every address of both families (a /0 of IPv4 and of IPv6): the answer then needs no address. */
export function coversEveryAddress(blocks: string[]): boolean {
  const zero = (width: 32 | 128) =>
    blocks.some((b) => {
      const [base, length] = b.trim().split('/');
      return length === '0' && parseAddress(base)?.width === width;
    });
  return zero(32) && zero(128);
}

const within: Operator['test'] = (v, p) => inBlock(v, patternText(p));

export const IP_OPERATORS: Record<string, Operator> = {
  IpAddress: { test: within, negated: false, variables: false },
  NotIpAddress: { test: within, negated: true, variables: false },
};
