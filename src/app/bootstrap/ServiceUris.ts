/**
 * The service's own URIs, as the bootstrap server writes them to devices whose CSV row names no LwM2M
 * server URI, and in the bootstrap server's own Security instance: `coap://` for plain CoAP and
 * `coaps://` for DTLS (LwM2M Transport 1.1 section 5, RFC 7252 section 6), an IPv6 literal in
 * brackets (RFC 3986 section 3.2.2).
 */
import type { BootstrapDefaults } from '../../domain/bootstrap/BootstrapPlan.ts';

/** LwM2M Core 1.1 Appendix E.2 leaves the lifetime to the server; a day, as Leshan's clients default to. */
export const DEFAULT_REGISTRATION_LIFETIME_SECONDS = 86_400;

export interface ServicePorts {
  readonly coapPort: number;
  readonly coapsPort: number;
  readonly bootstrapPort: number;
  readonly bootstrapDtlsPort: number;
}

export function serviceUri(scheme: 'coap' | 'coaps' | 'http', host: string, port: number): string {
  const literal = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  return `${scheme}://${literal}:${port}`;
}

export function bootstrapDefaultsFor(
  publicHost: string,
  ports: ServicePorts,
  lifetime = DEFAULT_REGISTRATION_LIFETIME_SECONDS,
  serverCredential?: BootstrapDefaults['serverCredential'],
): BootstrapDefaults {
  return {
    lwm2mServerUri: { plain: serviceUri('coap', publicHost, ports.coapPort), secure: serviceUri('coaps', publicHost, ports.coapsPort) },
    bootstrapServerUri: { plain: serviceUri('coap', publicHost, ports.bootstrapPort), secure: serviceUri('coaps', publicHost, ports.bootstrapDtlsPort) },
    lifetime,
    ...(serverCredential === undefined ? {} : { serverCredential }),
  };
}
