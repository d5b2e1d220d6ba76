/**
 * Serves stored firmware packages on the LwM2M server's CoAP endpoint for devices that pull
 * (issue 8): `GET /fw/<firmware id>` answers the binary as application/octet-stream; the endpoint
 * slices it into Block2 blocks at the size the device asks for (RFC 7959 section 2.4), so a device
 * with a small buffer takes it block by block. Every other request goes to `next` (registration).
 * The firmware id is a random UUID: knowing it is what lets a device fetch the package.
 */
import type { CoapRequestHandler } from '../coap/CoapEndpoint.ts';
import { CONTENT_FORMAT } from '../../domain/lwm2m/content/ContentFormat.ts';
import type { FirmwareRepository } from './FirmwareRepository.ts';

/** The Uri-Path segment under which packages are served. */
export const firmwarePackagePathSegment = 'fw';

/** The CoAP URI of a stored firmware under a base such as `coap://192.0.2.1:5683`. */
export function firmwarePackageUri(base: string, firmwareId: string): string {
  return `${base.replace(/\/+$/, '')}/${firmwarePackagePathSegment}/${encodeURIComponent(firmwareId)}`;
}

export function firmwarePackageCoapHandler(repository: FirmwareRepository, next: CoapRequestHandler): CoapRequestHandler {
  return async (request) => {
    if (request.path[0] !== firmwarePackagePathSegment) return next(request);
    const firmwareId = request.path[1];
    if (request.path.length !== 2 || firmwareId === undefined) return { code: '4.04' };
    // RFC 7252 section 5.8: the resource only answers GET.
    if (request.method !== 'GET') return { code: '4.05' };
    const binary = await repository.binary(firmwareId);
    if (!binary) return { code: '4.04' };
    return { code: '2.05', contentFormat: CONTENT_FORMAT.opaque, payload: binary };
  };
}
