/**
 * Addresses on the service's UDP sockets, plain CoAP and DTLS alike.
 *
 * A socket bound to "::" is dual-stack: IPv4 peers arrive as "::ffff:a.b.c.d". They are reported in
 * dotted form, so that an IPv4 device has one address whichever socket it reached, and addressed in
 * the mapped form again when a reply goes out through such a socket.
 */
import { lookup } from 'node:dns';
import type { LookupOneOptions } from 'node:dns';

/** "::ffff:192.0.2.1" (an IPv4 peer on a dual-stack socket) is reported as "192.0.2.1". */
export function reportedAddress(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

/**
 * The destination to give a socket for a reported address. An IPv4 address has no colon: cheaper than
 * isIPv6's regular expression, and this runs once per datagram sent.
 */
export function destinationAddress(address: string, socketIsIpv6: boolean): string {
  return socketIsIpv6 && !address.includes(':') ? `::ffff:${address}` : address;
}

/**
 * A socket's `lookup` that answers IP literals at once. node:dgram passes every destination through the
 * socket's lookup, and the default one tests it with isIP's regular expressions (the IPv6 one is long)
 * before finding there is no name to resolve. The DTLS server sends only to addresses that came from
 * datagrams' sources, which are literals; anything else (a host name to bind to) is resolved as usual.
 */
export function lookupIpLiteral(hostname: string, options: LookupOneOptions, callback: (error: NodeJS.ErrnoException | null, address: string, family: number) => void): void {
  // A colon only appears in IPv6 literals; digits and dots alone are an IPv4 literal to getaddrinfo too.
  if (hostname.includes(':')) callback(null, hostname, 6);
  else if (/^[\d.]+$/.test(hostname)) callback(null, hostname, 4);
  else lookup(hostname, options, callback);
}
