/**
 * Host names and IP addresses in the config: what a DB host may be (it travels in the user data
 * and into /etc/hosts), and which addresses a deployed function's queue probe must never reach
 * (loopback, where the Lambda runtime API listens; link-local, where instance metadata and AWS's
 * own services answer). Pure text checks: no DNS.
 */

/** The four parts of a dotted-decimal IPv4 address, or undefined. */
export function ipv4Parts(text: string): number[] | undefined {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (match === null) return undefined;
  const parts = match.slice(1).map(Number);
  return parts.every((p) => p <= 255) ? parts : undefined;
}

/**
 * The eight 16-bit groups of an IPv6 address in text form (RFC 4291 2.2: at most one `::`, an
 * IPv4 address in place of the last two groups), or undefined. No zone (`%eth0`), no brackets.
 */
export function ipv6Groups(text: string): number[] | undefined {
  let rest = text;
  const lastColon = rest.lastIndexOf(':');
  if (lastColon >= 0 && rest.slice(lastColon + 1).includes('.')) {
    const v4 = ipv4Parts(rest.slice(lastColon + 1));
    if (v4 === undefined) return undefined;
    const hex = (hi = 0, lo = 0) => ((hi << 8) | lo).toString(16);
    rest = `${rest.slice(0, lastColon + 1)}${hex(v4[0], v4[1])}:${hex(v4[2], v4[3])}`;
  }
  const parse = (part: string): number[] | undefined => {
    if (part === '') return [];
    const groups = part.split(':');
    return groups.every((g) => /^[0-9A-Fa-f]{1,4}$/.test(g))
      ? groups.map((g) => Number.parseInt(g, 16))
      : undefined;
  };
  const halves = rest.split('::');
  if (halves.length > 2) return undefined;
  if (halves.length === 1) {
    const groups = parse(rest);
    return groups?.length === 8 ? groups : undefined;
  }
  const head = parse(halves[0] ?? '');
  const back = parse(halves[1] ?? '');
  // `::` stands for at least one group.
  if (head === undefined || back === undefined || head.length + back.length > 7) return undefined;
  return [...head, ...new Array<number>(8 - head.length - back.length).fill(0), ...back];
}

/** A DNS label: letters, digits and `-`, 1-63 characters, no `-` first or last. */
const LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

/**
 * A host name (dot-separated labels, the last not all digits: such a name would be read as an
 * IPv4 address) or an IPv4 or IPv6 address, at most 253 characters. Nothing that starts with `-`
 * (a command would read it as an option), no space, quote, `$` or anything a shell or
 * /etc/hosts would take apart.
 */
export function isHostOrAddress(text: string): boolean {
  if (text.length === 0 || text.length > 253) return false;
  if (ipv4Parts(text) !== undefined || ipv6Groups(text) !== undefined) return true;
  const labels = text.split('.');
  return labels.every((label) => LABEL.test(label)) && !/^\d+$/.test(labels.at(-1) ?? '');
}

/** The IPv4 address an IPv6 address carries (IPv4-mapped, IPv4-compatible, NAT64), if any. */
function embeddedIpv4(groups: number[]): number[] | undefined {
  const prefix = groups.slice(0, 6);
  const mapped = prefix.slice(0, 5).every((g) => g === 0) && (prefix[5] === 0xffff || prefix[5] === 0);
  const nat64 = groups[0] === 0x64 && groups[1] === 0xff9b && prefix.slice(2).every((g) => g === 0);
  if (!mapped && !nat64) return undefined;
  const [hi = 0, lo = 0] = groups.slice(6);
  return [hi >> 8, hi & 0xff, lo >> 8, lo & 0xff];
}

function ipv4Kind(parts: number[]): 'loopback' | 'link-local' | undefined {
  if (parts[0] === 127 || parts[0] === 0) return 'loopback';
  if (parts[0] === 169 && parts[1] === 254) return 'link-local';
  return undefined;
}

/**
 * Whether `host` (a URL's host name: IPv6 in brackets, IPv4 already in dotted decimal as the URL
 * parser writes it) is loopback or link-local, by address or by a name that always means one.
 */
export function localAddressKind(host: string): 'loopback' | 'link-local' | undefined {
  const name = host.toLowerCase().replace(/\.$/, '');
  if (name === 'localhost' || name.endsWith('.localhost') || name === 'localhost.localdomain') {
    return 'loopback';
  }
  // EC2's resolver answers instance-data (and instance-data.<region>.compute.internal,
  // instance-data.ec2.internal) with the instance metadata service's address.
  if (name === 'instance-data' || name.startsWith('instance-data.')) return 'link-local';
  const v4 = ipv4Parts(name);
  if (v4 !== undefined) return ipv4Kind(v4);
  if (!(name.startsWith('[') && name.endsWith(']'))) return undefined;
  const groups = ipv6Groups(name.slice(1, -1));
  if (groups === undefined) return undefined;
  const embedded = embeddedIpv4(groups);
  if (embedded !== undefined)
    return ipv4Kind(embedded) ?? (embedded.every((p) => p === 0) ? 'loopback' : undefined);
  if (groups.slice(0, 7).every((g) => g === 0) && (groups[7] === 1 || groups[7] === 0)) return 'loopback';
  if (((groups[0] ?? 0) & 0xffc0) === 0xfe80) return 'link-local';
  // fd00:ec2::/32 holds EC2's own services: instance metadata (::254), DNS (::253), time (::123).
  if (groups[0] === 0xfd00 && groups[1] === 0x0ec2) return 'link-local';
  return undefined;
}

/** Where the config is used: `deployed` (the packaged stack) or `local` (sandbox and tests, on loopback). */
export type Network = 'deployed' | 'local';

/**
 * Why a deployed function must not probe `url`, or undefined. A deployed queue probe never goes to
 * loopback (the Lambda runtime API listens there) or link-local addresses (instance metadata);
 * `local` configs, whose servers all listen on loopback, may use loopback.
 */
export function probeTargetProblem(url: string, network: Network): string | undefined {
  let host: string;
  try {
    host = new URL(url).hostname;
  } catch {
    return undefined; // the schema already says it is no URL
  }
  const kind = localAddressKind(host);
  if (kind === undefined || (kind === 'loopback' && network === 'local')) return undefined;
  return kind === 'loopback'
    ? `expected a host the functions reach over the network, not loopback (${host}: the Lambda runtime API listens there)`
    : `expected a host the functions reach over the network, not a link-local address (${host}: instance metadata and AWS's own services answer there)`;
}
