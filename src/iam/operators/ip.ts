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
  // Every group is checked below: hex digits only, 8 groups, or fewer around one "::".
  const halves = t.split('::');
  if (halves.length > 2) return undefined;
  const groups = (s: string) => (s === '' ? [] : s.split(':'));
  const head = groups(halves[0]);
  const tail = halves.length === 2 ? groups(halves[1]) : [];
  const missing = 8 - head.length - tail.length;
  if ((halves.length === 2 ? missing < 1 : missing !== 0) || [...head, ...tail].some((g) => !/^[0-9a-fA-F]{1,4}$/.test(g))) {
    return undefined;
  }
  // Without "::", missing is 0.
  const all = [...head, ...Array<string>(missing).fill('0'), ...tail];
  return { bits: all.reduce((n, g) => (n << 16n) | BigInt(Number.parseInt(g, 16)), 0n), width: 128 };
}

/** Whether an address lies in a CIDR block of the same family. */
export function inBlock(address: string, block: string): boolean {
  const ip = parseAddress(address);
  const net = parseBlock(block);
  if (!ip || !net || ip.width !== net.width) return false;
  const shift = BigInt(net.width - net.prefix);
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

/**
 * Address ranges no host of the public internet sends from (IANA's special-purpose registries, RFC 6890:
 * not globally reachable): RFC 1918 private networks, RFC 6598 shared (carrier-grade NAT) space, "this
 * network", loopback, link-local, multicast and reserved space; IPv6 unique-local (RFC 4193), link-local,
 * loopback, unspecified and multicast. The documentation ranges (RFC 5737, RFC 3849) are left out: examples
 * use them for a public range, and treating them as public only leaves a verdict unknown.
 */
export const NON_PUBLIC_BLOCKS = [
  '0.0.0.0/8',
  '10.0.0.0/8',
  '100.64.0.0/10',
  '127.0.0.0/8',
  '169.254.0.0/16',
  '172.16.0.0/12',
  '192.168.0.0/16',
  '224.0.0.0/4',
  '240.0.0.0/4',
  '::/128',
  '::1/128',
  'fc00::/7',
  'fe80::/10',
  'ff00::/8',
];

const NON_PUBLIC = NON_PUBLIC_BLOCKS.map((b) => parseBlock(b) as Block);

/** A CIDR block as its base bits and prefix length; undefined when it is no block (it then matches nothing). */
function parseBlock(block: string): { bits: bigint; width: 32 | 128; prefix: number } | undefined {
  const [base, length, ...rest] = block.trim().split('/');
  const net = parseAddress(base);
  if (!net || rest.length) return undefined;
  const prefix = length === undefined ? net.width : /^\d{1,3}$/.test(length) ? Number(length) : Number.NaN;
  // The pattern admits no sign, so a prefix is never negative; NaN fails the comparison.
  return prefix <= net.width ? { ...net, prefix } : undefined;
}

type Block = NonNullable<ReturnType<typeof parseBlock>>;

/** Whether every address of `a` lies in `b` (same family, a longer or equal prefix, the same leading bits). */
function blockWithin(a: Block, b: Block): boolean {
  if (a.width !== b.width || a.prefix < b.prefix) return false;
  const shift = BigInt(b.width - b.prefix);
  return a.bits >> shift === b.bits >> shift;
}

/**
 * Which public addresses the blocks hold: none (every block is no block, or lies in non-public space), all
 * (they hold every address of both families), or some. A request from an unknown public address is decided
 * by the first two.
 */
export function publicAddressesIn(blocks: string[]): 'none' | 'all' | 'some' {
  if (coversEveryAddress(blocks)) return 'all';
  const holdsNone = (text: string) => {
    const block = parseBlock(text);
    return !block || NON_PUBLIC.some((outer) => blockWithin(block, outer));
  };
  return blocks.every(holdsNone) ? 'none' : 'some';
}

const within: Operator['test'] = (v, p) => inBlock(v, patternText(p));

export const IP_OPERATORS: Record<string, Operator> = {
  IpAddress: { test: within, negated: false, variables: false },
  NotIpAddress: { test: within, negated: true, variables: false },
};
