/**
 * The registration handler of the LwM2M server's DTLS port, with the identity rule made visible to
 * operators: a Register (`POST /rd?ep=...`, LwM2M Transport 1.1 section 6.4) whose endpoint name is
 * not the one the session's PSK identity is bound to is recorded as a `PskIdentityMismatch` audit
 * event on the bound device's security stream. This covers a NO_SEC device trying a PSK port with
 * another device's identity as well.
 *
 * The refusal itself (4.03) is the registration decider's rule (`judgeRegister`, as Leshan's
 * Authorizer), which also records `RegistrationRejected` on the requested endpoint's stream; this
 * audit adds what that event does not say: which identity tried, and whose it is.
 */
import type { Clock } from '../../domain/Clock.ts';
import type { DeviceRegistrationData } from '../../domain/devices/DeviceEvents.ts';
import { parseRegisterParameters } from '../../domain/registration/RegistrationParameters.ts';
import type { CoapPeer, CoapRequestHandler } from '../coap/CoapEndpoint.ts';
import { securityStream } from './SecurityAuditEvents.ts';
import type { SecurityAuditLog } from './SecurityAuditLog.ts';

export interface RegistrationIdentityAuditOptions {
  readonly handler: CoapRequestHandler;
  readonly identityOf: (peer: CoapPeer) => string | null;
  readonly deviceOf: (identity: string) => Promise<DeviceRegistrationData | undefined>;
  readonly audit: SecurityAuditLog;
  readonly clock: Clock;
}

export function auditRegistrationIdentity(options: RegistrationIdentityAuditOptions): CoapRequestHandler {
  return async (request) => {
    const response = await options.handler(request);
    if (response.code !== '4.03' || request.method !== 'POST' || request.path.length !== 1 || request.path[0] !== 'rd') return response;
    const identity = options.identityOf(request.peer);
    const parameters = parseRegisterParameters(request.query);
    if (identity === null || !parameters.ok) return response;
    const bound = await options.deviceOf(identity);
    const requestedEndpoint = parameters.parameters.endpoint;
    if (bound?.endpoint === requestedEndpoint) return response;
    const boundEndpoint = bound?.endpoint ?? null;
    await options.audit.record(
      securityStream(boundEndpoint, request.peer.address),
      {
        type: 'PskIdentityMismatch',
        data: {
          server: 'lwm2m',
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
