/**
 * Serves stored firmware packages over HTTP for devices that pull with HTTP 1.1 (/5/0/8 = 2):
 * `GET /fw/<firmware id>/<token>` on the service's HTTP server answers the binary with its length, and
 * a `HEAD` its headers. The token is the running update's (FirmwarePackageAccess): without it, or with
 * another, the answer is 403; a path that is not valid percent-encoding is 400 (RFC 3986 section 2.1).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { firmwarePackagePathSegment } from './FirmwarePackageCoapResource.ts';
import type { FirmwarePackageGate, FirmwarePackageSource } from './FirmwarePackageSource.ts';

/** Answers the request when it is for a package and returns true; false leaves it to the server's other routes. */
export type HttpRoute = (request: IncomingMessage, response: ServerResponse, url: URL) => Promise<boolean>;

/** The HTTP URI of a stored firmware under a base such as `http://192.0.2.1:4000`, without an update's token. */
export function firmwarePackageHttpUri(base: string, firmwareId: string): string {
  return `${base.replace(/\/+$/, '')}/${firmwarePackagePathSegment}/${encodeURIComponent(firmwareId)}`;
}

export function firmwarePackageHttpRoute(repository: FirmwarePackageSource, access: FirmwarePackageGate): HttpRoute {
  const prefix = `/${firmwarePackagePathSegment}/`;
  return async (request, response, url) => {
    if (!url.pathname.startsWith(prefix)) return false;
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD' }).end();
      return true;
    }
    const segments = decodedSegments(url.pathname.slice(prefix.length));
    if (segments === undefined) {
      response.writeHead(400, { 'content-type': 'text/plain' }).end('the path is not valid percent-encoding (RFC 3986 section 2.1)\n');
      return true;
    }
    const [firmwareId, token] = segments;
    if (segments.length !== 2 || firmwareId === undefined || token === undefined || !access.allowsToken(firmwareId, token)) {
      response.writeHead(403, { 'content-type': 'text/plain' }).end('a package is served only with the token of the update that runs it\n');
      return true;
    }
    const binary = await repository.binary(firmwareId);
    if (!binary) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('no such firmware\n');
      return true;
    }
    response.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(binary.length) });
    response.end(request.method === 'HEAD' ? undefined : binary);
    return true;
  };
}

/** The path's segments, percent-decoded; undefined when one is not valid percent-encoding of UTF-8. */
function decodedSegments(path: string): string[] | undefined {
  try {
    return path.split('/').map((segment) => decodeURIComponent(segment));
  } catch (error) {
    if (error instanceof URIError) return undefined;
    throw error;
  }
}
