import { describe, expect, it } from 'vitest';
import { discoverBootstrapAccounts } from '../../../src/domain/bootstrap/BootstrapDiscovery.ts';

describe('discoverBootstrapAccounts', () => {
  it('finds the Security instance without ssid, as 1.1 clients list their Bootstrap-Server account', () => {
    const answer = '</>;lwm2m=1.1,</0/0>;uri="coap://bs.example.com:5783",</0/1>;ssid=101;uri="coaps://dm.example.com",</1/1>;ssid=101,</3/0>,</5>';
    expect(discoverBootstrapAccounts(answer)).toEqual({ ok: true, bootstrapAccounts: [0] });
  });

  it('finds a Security instance whose ssid no Server instance has (a client that reports /0/x/10 of every instance)', () => {
    const answer = '</>;lwm2m=1.1,</0/2>;ssid=101;uri="coaps://dm.example.com",</0/7>;ssid=100;uri="coaps://bs.example.com",</1/2>;ssid=101';
    expect(discoverBootstrapAccounts(answer)).toEqual({ ok: true, bootstrapAccounts: [7] });
  });

  it('counts every Security instance listed without attributes as kept, and none when /0 has no instance', () => {
    expect(discoverBootstrapAccounts('</>;lwm2m=1.1,</1/0>,</0/3>,</0/1>, </0/3>')).toEqual({ ok: true, bootstrapAccounts: [1, 3] });
    expect(discoverBootstrapAccounts('</>;lwm2m=1.1,</0>,</3/0>')).toEqual({ ok: true, bootstrapAccounts: [] });
  });

  it('ignores links that are not instances of /0 or /1, and ids past 65534', () => {
    expect(discoverBootstrapAccounts('</0>;ver=1.1,</0/0/1>,</0/65535>,</10/0>,</0/4>;uri="coap://bs"')).toEqual({ ok: true, bootstrapAccounts: [4] });
  });

  it('says what is wrong with an answer that is not link format', () => {
    expect(discoverBootstrapAccounts('</0/0')).toEqual({ ok: false, reason: 'the Bootstrap-Discover answer is not link format: link target has no closing ">" at 0' });
  });
});
