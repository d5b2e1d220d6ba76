/**
 * The console's routes are real paths (/devices/my-endpoint/objects), which the server answers with
 * index.html, so that links can be shared and reloaded; moving between them uses the History API.
 */
import { signal } from '@preact/signals';

export const currentPath = signal(location.pathname);

export function navigate(path: string): void {
  if (path === location.pathname + location.search) return;
  history.pushState(null, '', path);
  currentPath.value = location.pathname;
}

addEventListener('popstate', () => {
  currentPath.value = location.pathname;
});

/** The path's segments, decoded: /devices/a%2Fb -> ['devices', 'a/b']; a malformed escape stays as typed. */
export function pathSegments(path: string): string[] {
  return path
    .split('/')
    .filter((segment) => segment !== '')
    .map((segment) => {
      try {
        return decodeURIComponent(segment);
      } catch {
        return segment;
      }
    });
}

export function devicePath(endpoint: string, tab?: string): string {
  return `/devices/${encodeURIComponent(endpoint)}${tab === undefined ? '' : `/${tab}`}`;
}
