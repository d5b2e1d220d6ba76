/**
 * Serves the operator's console, the single-page application built from `console/` into
 * `dist/console/`, on the service's HTTP port: its files as they are, and `index.html` for every
 * other path that names no file (the console's own routes, such as /devices/my-endpoint), so that a
 * reload or a shared link opens the same page. A missing asset (under /assets/, or a top-level path
 * with a file extension) is a 404, never the HTML page, so that a stale script reference fails visibly.
 *
 * Vite names the built assets after their content (`assets/index-<hash>.js`): they never change under
 * their name and are cached for a year (RFC 9111 section 5.2.2.1, `immutable` RFC 8246); index.html
 * is revalidated on every load so that a new build is picked up at once.
 */
import { readFile, stat } from 'node:fs/promises';
import { extname, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { HttpRoute } from '../firmware/FirmwarePackageHttpRoute.ts';

/** Where `npm run build:console` writes the console. */
export const builtConsoleDirectory = fileURLToPath(new URL('../../../dist/console/', import.meta.url));

const contentTypes: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  // The explorer's editor (Monaco) draws its icons with a TrueType font.
  '.ttf': 'font/ttf',
  '.txt': 'text/plain; charset=utf-8',
};

/**
 * The console is entirely offline: scripts, styles and connections only from this origin ('self'
 * covers the same-origin WebSocket, CSP Level 3 section 6.7.2.9).
 */
const contentSecurityPolicy = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'";

const immutableAssets = 'public, max-age=31536000, immutable';

export function consoleFilesRoute(directory: string = builtConsoleDirectory): HttpRoute {
  const root = resolve(directory);
  return async (request, response, url) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return false;
    let relative: string;
    try {
      relative = decodeURIComponent(url.pathname);
    } catch {
      response.writeHead(400, { 'content-type': 'text/plain' }).end('the path is not valid percent-encoding\n');
      return true;
    }
    const file = resolve(root, `.${relative}`);
    // A path that leaves the console's folder (../, an encoded %2e%2e%2f) or carries a NUL is never a file of ours.
    const inside = (file === root || file.startsWith(root + sep)) && !relative.includes('\0');
    const found = inside ? await regularFile(file) : false;
    if (found) {
      await send(request.method, response, file, relative.startsWith('/assets/') ? immutableAssets : 'no-cache');
      return true;
    }
    if (!inside || namesAFile(relative)) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return true;
    }
    const index = resolve(root, 'index.html');
    if (!(await regularFile(index))) {
      response.writeHead(503, { 'content-type': 'text/plain' }).end('the console is not built: run `npm run build:console` (GraphQL is at /graphql)\n');
      return true;
    }
    await send(request.method, response, index, 'no-cache');
    return true;
  };
}

/**
 * Whether a path names a file of the build (an asset, or a file at the top such as /favicon.ico)
 * rather than a page of the console: a page's path may hold a dot, as an endpoint name may
 * (/devices/sensor.v2/objects).
 */
function namesAFile(path: string): boolean {
  return path.startsWith('/assets/') || (path.lastIndexOf('/') === 0 && extname(path) !== '');
}

async function regularFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

async function send(method: string | undefined, response: Parameters<HttpRoute>[1], file: string, cacheControl: string): Promise<void> {
  const body = await readFile(file);
  const contentType = contentTypes[extname(file)] ?? 'application/octet-stream';
  const headers: Record<string, string> = {
    'content-type': contentType,
    'content-length': String(body.length),
    'cache-control': cacheControl,
    'x-content-type-options': 'nosniff',
  };
  if (contentType.startsWith('text/html')) headers['content-security-policy'] = contentSecurityPolicy;
  response.writeHead(200, headers);
  response.end(method === 'HEAD' ? undefined : body);
}
