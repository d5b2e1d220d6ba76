/**
 * The request handlers of the DTLS ports, with the identity rule made visible to operators: a request
 * naming an endpoint (`ep`) other than the one the session's PSK identity is bound to, and refused for
 * it, is recorded as a `PskIdentityMismatch` audit event on the bound device's security stream. This
 * covers a NO_SEC device trying a PSK port with another device's identity as well. A session
 * authenticated by a certificate or raw public key is held to the endpoint its credential is bound to
 * in the same way (`CredentialEndpointMismatch`).
 *
 * - LwM2M server: Register, `POST /rd?ep=...` (LwM2M Transport 1.1 section 6.4), refused with 4.03.
 * - Bootstrap server: Bootstrap-Request, `POST /bs?ep=...` (Transport 1.1 section 6.1), refused with
 *   4.00; the bound device's `external-c8y_BootstrapPskId` is an accepted `ep` too.
 *
 * The refusals themselves are the registration decider's rule (`judgeRegister`, as Leshan's Authorizer)
 * and the bootstrap server's, each recording its own rejection on the requested endpoint's stream; this
 * audit adds what those events do not say: which identity tried, and whose it is.
 */
import type { Clock } from '../../domain/Clock.ts';
import type { DeviceRegistrationData } from '../../domain/devices/DeviceEvents.ts';
import type { CoapPeer, CoapRequestHandler, IncomingCoapRequest } from '../../adapters/coap/CoapEndpoint.ts';
import type { DtlsServerRole } from '../../domain/security/SecurityAuditEvents.ts';
import { securityStream } from '../../domain/security/SecurityAuditEvents.ts';
import type { SecurityAuditLog } from './SecurityAuditLog.ts';

export interface IdentityMismatchAuditOptions {
  readonly role: DtlsServerRole;
  readonly handler: CoapRequestHandler;
  readonly identityOf: (peer: CoapPeer) => string | null;
  /** The endpoint a session's certificate or raw public key is bound to, and which it is; null for other sessions. */
  readonly certifiedOf?: (peer: CoapPeer) => { readonly endpoint: string; readonly credential: 'x509' | 'rpk' } | null;
  readonly deviceOf: (identity: string) => Promise<DeviceRegistrationData | undefined>;
  readonly audit: SecurityAuditLog;
  readonly clock: Clock;
}

const interfaces: Record<DtlsServerRole, { readonly path: string; readonly refusal: string }> = {
  lwm2m: { path: 'rd', refusal: '4.03' },
  bootstrap: { path: 'bs', refusal: '4.00' },
};

export function auditIdentityMismatch(options: IdentityMismatchAuditOptions): CoapRequestHandler {
  const { path, refusal } = interfaces[options.role];
  return async (request) => {
    const response = await options.handler(request);
    if (response.code !== refusal || request.method !== 'POST' || request.path.length !== 1 || request.path[0] !== path) return response;
    const identity = options.identityOf(request.peer);
    const requestedEndpoint = endpointName(request);
    const certified = options.certifiedOf?.(request.peer) ?? null;
    if (certified !== null && requestedEndpoint !== undefined && certified.endpoint !== requestedEndpoint) {
      await options.audit.record(
        securityStream(certified.endpoint, request.peer.address),
        {
          type: 'CredentialEndpointMismatch',
          data: {
            server: options.role,
            address: request.peer.address,
            port: request.peer.port,
            credential: certified.credential,
            boundEndpoint: certified.endpoint,
            requestedEndpoint,
            refusedAt: options.clock.now().toISOString(),
          },
        },
        `device:${requestedEndpoint}`,
      );
      return response;
    }
    if (identity === null || requestedEndpoint === undefined) return response;
    const bound = await options.deviceOf(identity);
    if (bound !== undefined && (bound.endpoint === requestedEndpoint || (options.role === 'bootstrap' && bound.externalBootstrapPskId === requestedEndpoint))) return response;
    const boundEndpoint = bound?.endpoint ?? null;
    await options.audit.record(
      securityStream(boundEndpoint, request.peer.address),
      {
        type: 'PskIdentityMismatch',
        data: {
          server: options.role,
          address: request.peer.address,
          port: request.peer.port,
          pskIdentity: identity,
          boundEndpoint,
          requestedEndpoint,
          refusedAt: options.clock.now().toISOString(),
        },
      },
      `device:${requestedEndpoint}`,
    );
    return response;
  };
}

/** The `ep` query argument (Transport 1.1 sections 6.1 and 6.4). */
function endpointName(request: IncomingCoapRequest): string | undefined {
  const argument = request.query.find((query) => query.startsWith('ep='));
  return argument === undefined || argument.length === 3 ? undefined : argument.slice(3);
}
