import { describe, expect, it } from 'vitest';
import { ConfigError, configHelp, configOptions, parseCommandLine } from '../../../src/adapters/config/Config.ts';

describe('parseCommandLine', () => {
  it('uses the defaults when neither flag nor environment says otherwise', () => {
    const { config } = parseCommandLine([], {});
    expect(config.dataDir).toBe('./data');
    expect(config.eventStoreUrl).toBe('');
    expect(config.httpPort).toBe(4000);
    expect(config.coapPort).toBe(5683);
    expect(config.bootstrapPort).toBe(5783);
  });

  it('lets a flag win over the environment, and the environment over the default', () => {
    const env = { LWM2M_HUB_HTTP_PORT: '4100', LWM2M_HUB_COAP_PORT: '6000' };
    const { config } = parseCommandLine(['--http-port', '4200'], env);
    expect(config.httpPort).toBe(4200);
    expect(config.coapPort).toBe(6000);
  });

  it('puts CoAP over TCP and TLS on the port numbers of CoAP and DTLS unless told otherwise (RFC 8323 section 8)', () => {
    expect(parseCommandLine([], {}).config).toMatchObject({ coapTcpPort: 5683, coapsTcpPort: 5684, bootstrapTcpPort: 5783, bootstrapTlsPort: 5784 });
    const following = parseCommandLine(['--coap-port', '0', '--coaps-port', '6684', '--bootstrap-dtls-port', '6784'], { LWM2M_HUB_BOOTSTRAP_PORT: '6783' }).config;
    expect(following).toMatchObject({ coapTcpPort: 0, coapsTcpPort: 6684, bootstrapTcpPort: 6783, bootstrapTlsPort: 6784 });
    const own = parseCommandLine(['--coap-tcp-port', '7000', '--bootstrap-tls-port', '7001'], { LWM2M_HUB_COAPS_TCP_PORT: '7002' }).config;
    expect(own).toMatchObject({ coapPort: 5683, coapTcpPort: 7000, coapsTcpPort: 7002, bootstrapTlsPort: 7001 });
  });

  it('names the flag or variable that holds a bad port', () => {
    expect(() => parseCommandLine(['--coap-port', '70000'], {})).toThrow(/--coap-port: "70000" is not a port/);
    expect(() => parseCommandLine([], { LWM2M_HUB_HTTP_PORT: 'x' })).toThrow(/LWM2M_HUB_HTTP_PORT/);
  });

  it('takes the UDP receive buffer in bytes, 4 MiB by default, and names the flag or variable of a bad size', () => {
    expect(parseCommandLine([], {}).config.udpReceiveBufferBytes).toBe(4 * 1024 * 1024);
    expect(parseCommandLine(['--udp-receive-buffer', '16777216'], {}).config.udpReceiveBufferBytes).toBe(16_777_216);
    expect(parseCommandLine([], { LWM2M_HUB_UDP_RECEIVE_BUFFER: '8388608' }).config.udpReceiveBufferBytes).toBe(8_388_608);
    for (const bad of ['4MiB', '-1', '100', '2000000000', '']) {
      expect(() => parseCommandLine(['--udp-receive-buffer', bad], {})).toThrow(ConfigError);
    }
    expect(() => parseCommandLine([], { LWM2M_HUB_UDP_RECEIVE_BUFFER: '1e6' })).toThrow(/LWM2M_HUB_UDP_RECEIVE_BUFFER: "1e6" is not a size in bytes/);
  });

  it('refuses an unknown flag', () => {
    expect(() => parseCommandLine(['--nope'], {})).toThrow(ConfigError);
  });

  it('passes subcommand flags and positionals through', () => {
    const parsed = parseCommandLine(['file.csv', '--valid-only'], {}, { 'valid-only': { type: 'boolean' } });
    expect(parsed.positionals).toEqual(['file.csv']);
    expect(parsed.extra['valid-only']).toBe(true);
  });

  it('lists every option in the help text', () => {
    const help = configHelp();
    for (const option of configOptions) {
      expect(help).toContain(`--${option.flag}`);
      expect(help).toContain(option.env);
    }
  });
});
