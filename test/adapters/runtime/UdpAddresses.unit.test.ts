import { describe, expect, it } from 'vitest';
import type { LookupOneOptions } from 'node:dns';
import { destinationAddress, lookupIpLiteral, reportedAddress } from '../../../src/adapters/runtime/UdpAddresses.ts';

function lookedUp(hostname: string, options: LookupOneOptions = {}): Promise<{ address: string; family: number }> {
  return new Promise((resolve, reject) => {
    lookupIpLiteral(hostname, options, (error, address, family) => (error ? reject(error) : resolve({ address, family })));
  });
}

describe('UDP addresses on dual-stack sockets', () => {
  it('reports an IPv4-mapped IPv6 source in dotted form and leaves other addresses alone', () => {
    expect(reportedAddress('::ffff:192.0.2.1')).toBe('192.0.2.1');
    expect(reportedAddress('192.0.2.1')).toBe('192.0.2.1');
    expect(reportedAddress('2001:db8::1')).toBe('2001:db8::1');
    // A mapped address written in hexadecimal is not dotted: it stays as it came.
    expect(reportedAddress('::ffff:c000:201')).toBe('::ffff:c000:201');
  });

  it('maps an IPv4 destination only on an IPv6 socket', () => {
    expect(destinationAddress('192.0.2.1', true)).toBe('::ffff:192.0.2.1');
    expect(destinationAddress('192.0.2.1', false)).toBe('192.0.2.1');
    expect(destinationAddress('2001:db8::1', true)).toBe('2001:db8::1');
  });

  it('answers IP literals without a resolver and resolves host names as usual', async () => {
    await expect(lookedUp('192.0.2.1')).resolves.toEqual({ address: '192.0.2.1', family: 4 });
    await expect(lookedUp('::ffff:192.0.2.1')).resolves.toEqual({ address: '::ffff:192.0.2.1', family: 6 });
    await expect(lookedUp('2001:db8::1')).resolves.toEqual({ address: '2001:db8::1', family: 6 });
    // "localhost" is a name: it goes to the system's resolver (/etc/hosts), which answers a loopback address.
    const localhost = await lookedUp('localhost', { family: 4 });
    expect(localhost).toEqual({ address: '127.0.0.1', family: 4 });
  });
});
