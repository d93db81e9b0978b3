/**
 * IPv4/IPv6 parsing and CIDR ranges for the `cidr` operator, mirroring aws/event-ruler (the engine
 * behind EventBridge): see `CIDR.java` in https://github.com/aws/event-ruler.
 *
 * Ruler quirks reproduced on purpose, because they are what AWS does:
 * - the range starts at the address as written and ends at that address with the host bits set, so
 *   `10.0.0.5/24` covers 10.0.0.5–10.0.0.255 (not 10.0.0.0–10.0.0.255);
 * - IPv4 masks must be < 32 and IPv6 masks < 128 (a single address is matched by the plain string);
 * - an IPv4-mapped IPv6 address (`::ffff:10.0.0.1`) is an IPv4 address (Java's InetAddress does so).
 *
 * @example
 * const range = parseCidr('10.0.0.0/24');
 * if (typeof range !== 'string') inCidr(range, '10.0.0.7'); // true
 */

/** An inclusive address range; `low` and `high` are 4 bytes (IPv4) or 16 bytes (IPv6). */
export interface CidrRange {
  readonly low: Uint8Array;
  readonly high: Uint8Array;
}

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
const HEX_GROUP = /^[0-9A-Fa-f]{1,4}$/;

/** The address bytes (4 or 16) of an IPv4 or IPv6 literal, or undefined if `text` is not one. */
export function parseIpAddress(text: string): Uint8Array | undefined {
  if (text.includes(':')) return parseIpv6(text);
  return parseIpv4(text);
}

function parseIpv4(text: string): Uint8Array | undefined {
  const m = IPV4.exec(text);
  if (!m) return undefined;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const part = Number(m[i + 1]);
    if (part > 255) return undefined;
    out[i] = part;
  }
  return out;
}

function parseIpv6(text: string): Uint8Array | undefined {
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const compressed = halves.length === 2;
  // Before a `::` the address cannot end yet, so only the last part may carry an IPv4 tail.
  const head = parseGroups(halves[0] as string, !compressed);
  const tail = compressed ? parseGroups(halves[1] as string, true) : [];
  if (!head || !tail) return undefined;
  const missing = 8 - head.length - tail.length;
  if (compressed ? missing < 1 : missing !== 0) return undefined;
  const groups = [...head, ...new Array<number>(missing).fill(0), ...tail];
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    out[i * 2] = g >> 8;
    out[i * 2 + 1] = g & 0xff;
  });
  return isIpv4Mapped(out) ? out.slice(12) : out;
}

/** The 16-bit groups of one side of `::`; an embedded IPv4 tail (`::ffff:10.0.0.1`) is two groups. */
function parseGroups(part: string, mayEndWithIpv4: boolean): number[] | undefined {
  if (part === '') return [];
  const pieces = part.split(':');
  const out: number[] = [];
  for (let i = 0; i < pieces.length; i++) {
    const piece = pieces[i] as string;
    if (mayEndWithIpv4 && i === pieces.length - 1 && piece.includes('.')) {
      const v4 = parseIpv4(piece);
      if (!v4) return undefined;
      out.push(((v4[0] as number) << 8) | (v4[1] as number), ((v4[2] as number) << 8) | (v4[3] as number));
    } else if (HEX_GROUP.test(piece)) {
      out.push(Number.parseInt(piece, 16));
    } else {
      return undefined;
    }
  }
  return out;
}

function isIpv4Mapped(bytes: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (bytes[i] !== 0) return false;
  return bytes[10] === 0xff && bytes[11] === 0xff;
}

/**
 * Parses `address/maskBits`. Returns the range, or a sentence saying what is wrong (the caller
 * turns it into a PatternError with the path).
 */
export function parseCidr(text: string): CidrRange | string {
  const parts = text.split('/');
  if (parts.length !== 2) {
    return `"cidr" value ${JSON.stringify(text)} is not a CIDR block; expected address/mask like "10.0.0.0/24"`;
  }
  const [address, mask] = parts as [string, string];
  if (!/^\d+$/.test(mask)) {
    return `"cidr" value ${JSON.stringify(text)} has mask bits ${JSON.stringify(mask)}; they must be a non-negative integer`;
  }
  const low = parseIpAddress(address);
  if (!low) {
    return `"cidr" value ${JSON.stringify(text)} does not start with an IPv4 or IPv6 address`;
  }
  const bits = Number(mask);
  const maxBits = low.length * 8;
  if (bits >= maxBits) {
    // Ruler: "IPv4 mask bits must be < 32" / "IPv6 mask bits must be < 128".
    return `"cidr" value ${JSON.stringify(text)}: ${low.length === 4 ? 'IPv4' : 'IPv6'} mask bits must be less than ${maxBits}; match a single address with the plain string ${JSON.stringify(address)}`;
  }
  const high = low.slice();
  let hostBits = maxBits - bits;
  for (let i = high.length - 1; i >= 0 && hostBits > 0; i--) {
    const take = Math.min(8, hostBits);
    high[i] = (high[i] as number) | ((1 << take) - 1);
    hostBits -= take;
  }
  return { low, high };
}

/** True when `value` is an IP address literal of the range's family inside the range. */
export function inCidr(range: CidrRange, value: string): boolean {
  const ip = parseIpAddress(value);
  if (!ip || ip.length !== range.low.length) return false;
  return compareBytes(range.low, ip) <= 0 && compareBytes(ip, range.high) <= 0;
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < a.length; i++) {
    const d = (a[i] as number) - (b[i] as number);
    if (d !== 0) return d;
  }
  return 0;
}
