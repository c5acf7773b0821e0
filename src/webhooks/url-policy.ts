// Where a webhook may go. A URL must be http(s) without credentials, and — unless
// WEBHOOK_ALLOW_PRIVATE_NETWORKS — reach only public unicast addresses: no loopback, private,
// link-local, unique-local, multicast, carrier-grade NAT or reserved range, checked on the URL's
// literal address at submit and on every address its name resolves to at connect time (the
// lookup the connection itself uses, so a name that changes between check and connect — DNS
// rebinding — cannot slip through). Redirects are never followed.
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';

export const MAX_URL_LENGTH = 2048;

/** Whether a connection to this address is allowed. */
export function addressAllowed(address: string, allowPrivate: boolean): boolean {
  if (allowPrivate) return true;
  if (!ipaddr.isValid(address)) return false;
  let ip = ipaddr.parse(address);
  if (ip.kind() === 'ipv6' && (ip as ipaddr.IPv6).isIPv4MappedAddress()) ip = (ip as ipaddr.IPv6).toIPv4Address();
  return ip.range() === 'unicast';
}

/** Why a URL cannot be a webhook, or null when it can (the name's addresses are checked when connecting). */
export function urlProblem(raw: string, allowPrivate: boolean): string | null {
  if (raw.length > MAX_URL_LENGTH) return `must be at most ${MAX_URL_LENGTH} characters`;
  // WHATWG URL parsing drops or keeps odd characters (a NUL in the fragment survives): only
  // printable ASCII goes; a non-ASCII name must come punycode-encoded, a path percent-encoded.
  if (!/^[\x21-\x7e]+$/.test(raw)) return 'must be printable ASCII (percent-encode the rest)';
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'must be an absolute http or https URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'must be an absolute http or https URL';
  if (url.username || url.password) return 'must not carry credentials';
  if (!url.hostname) return 'must name a host';
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(host) && !addressAllowed(host, allowPrivate)) return 'must not point at a private, loopback or link-local address';
  return null;
}

export class ForbiddenAddressError extends Error {
  readonly code = 'WEBHOOK_ADDRESS_FORBIDDEN';
}

/** A dns.lookup for http.request that refuses any resolved address the policy forbids. */
export function checkedLookup(allowPrivate: boolean): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '', 0);
      const list = addresses as LookupAddress[];
      const bad = list.find((a) => !addressAllowed(a.address, allowPrivate));
      if (bad || !list.length) {
        return callback(new ForbiddenAddressError(`${hostname} resolves to ${bad?.address ?? 'nothing'}, which webhooks may not reach`), '', 0);
      }
      if ((options as { all?: boolean }).all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, list);
      callback(null, list[0]!.address, list[0]!.family);
    });
  };
}
