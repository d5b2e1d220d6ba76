/**
 * Builds the operator's console into dist/console, which `lwm2m-hub serve` serves at /. Each page of
 * the console is an HTML entry in `input`; everything is bundled, nothing is fetched from elsewhere.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = (path: string): string => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  root: here('.'),
  base: '/',
  // Preact's automatic JSX runtime, through Vite's own transform (no framework plugin needed).
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: here('../dist/console'),
    emptyOutDir: true,
    // Hashed names under assets/: the server caches them for a year.
    assetsDir: 'assets',
    rollupOptions: {
      input: {
        console: here('index.html'),
      },
    },
  },
});
