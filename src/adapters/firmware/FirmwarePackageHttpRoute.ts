/**
 * Serves stored firmware packages over HTTP for devices that pull with HTTP 1.1 (/5/0/8 = 2):
 * `GET /fw/<firmware id>` on the service's HTTP server answers the binary with its length, and a
 * `HEAD` its headers. Like the CoAP resource, the random firmware id is what grants access.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { firmwarePackagePathSegment } from './FirmwarePackageCoapResource.ts';
import type { FirmwareRepository } from './FirmwareRepository.ts';

/** Answers the request when it is for a package and returns true; false leaves it to the server's other routes. */
export type HttpRoute = (request: IncomingMessage, response: ServerResponse, url: URL) => Promise<boolean>;

/** The HTTP URI of a stored firmware under a base such as `http://192.0.2.1:4000`. */
export function firmwarePackageHttpUri(base: string, firmwareId: string): string {
  return `${base.replace(/\/+$/, '')}/${firmwarePackagePathSegment}/${encodeURIComponent(firmwareId)}`;
}

export function firmwarePackageHttpRoute(repository: FirmwareRepository): HttpRoute {
  const prefix = `/${firmwarePackagePathSegment}/`;
  return async (request, response, url) => {
    if (!url.pathname.startsWith(prefix)) return false;
    const firmwareId = decodeURIComponent(url.pathname.slice(prefix.length));
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD' }).end();
      return true;
    }
    const binary = firmwareId.includes('/') ? undefined : await repository.binary(firmwareId);
    if (!binary) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('no such firmware\n');
      return true;
    }
    response.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(binary.length) });
    response.end(request.method === 'HEAD' ? undefined : binary);
    return true;
  };
}
