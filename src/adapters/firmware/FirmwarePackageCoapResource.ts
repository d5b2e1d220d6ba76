/**
 * Serves stored firmware packages on the LwM2M server's CoAP endpoint for devices that pull
 * (LwM2M Core 1.1 Appendix E.6, Package URI /5/0/1): `GET /fw/<firmware id>` answers the binary as
 * application/octet-stream; the endpoint slices it into Block2 blocks at the size the device asks for
 * (RFC 7959 section 2.4), so a device with a small buffer takes it block by block. Only the device whose
 * update to that firmware is running gets it (FirmwarePackageAccess says who); anyone else gets 4.03.
 * The handler is routed at `/fw` on the port's uplink router (CoapRouter).
 */
import type { CoapRequestHandler, IncomingCoapRequest } from '../coap/CoapEndpoint.ts';
import { CONTENT_FORMAT } from '../../domain/lwm2m/content/ContentFormat.ts';
import type { FirmwarePackageGate, FirmwarePackageSource } from './FirmwarePackageSource.ts';

/** The Uri-Path segment under which packages are served. */
export const firmwarePackagePathSegment = 'fw';

/** The CoAP URI of a stored firmware under a base such as `coap://192.0.2.1:5683`. */
export function firmwarePackageUri(base: string, firmwareId: string): string {
  return `${base.replace(/\/+$/, '')}/${firmwarePackagePathSegment}/${encodeURIComponent(firmwareId)}`;
}

export interface FirmwarePackageCoapOptions {
  readonly repository: FirmwarePackageSource;
  readonly access: FirmwarePackageGate;
  /** The PSK identity of the DTLS session the request came in; null for a request on the plain port. */
  readonly pskIdentityOf: (request: IncomingCoapRequest) => string | null;
}

export function firmwarePackageCoapHandler(options: FirmwarePackageCoapOptions): CoapRequestHandler {
  return async (request) => {
    const firmwareId = request.path[1];
    if (request.path.length !== 2 || firmwareId === undefined) return { code: '4.04' };
    // RFC 7252 section 5.8: the resource only answers GET.
    if (request.method !== 'GET') return { code: '4.05' };
    if (!options.access.allowsPeer(firmwareId, request.peer, options.pskIdentityOf(request))) {
      // RFC 7252 section 5.9.2.4: the client is not authorised; the diagnostic says why.
      return { code: '4.03', payload: new TextEncoder().encode('a package is served only to the device whose update to it is running') };
    }
    const binary = await options.repository.binary(firmwareId);
    if (!binary) return { code: '4.04' };
    return { code: '2.05', contentFormat: CONTENT_FORMAT.opaque, payload: binary };
  };
}
