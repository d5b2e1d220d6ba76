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
      // GraphiQL's React dependencies mark their modules "use client" for React Server Components, which
      // mean nothing in this client-only bundle: their warnings (dozens per build) are noise.
      onwarn(warning, warn) {
        if (warning.code !== 'MODULE_LEVEL_DIRECTIVE') warn(warning);
      },
      input: {
        console: here('index.html'),
        // The GraphQL explorer (GraphiQL, React): GET /graphql from a browser serves it.
        explorer: here('explorer.html'),
      },
    },
  },
});
