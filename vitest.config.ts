import { defineConfig } from 'vitest/config';

// Test levels are in the file name, so that each level can run alone:
//   *.unit.test.ts  pure code, no I/O
//   *.int.test.ts   one adapter against real I/O (SQLite files, UDP sockets on loopback)
//   *.e2e.test.ts   the service as a whole, driven over its real interfaces
// Contract suites (test/contract/) run against every event store adapter.
export default defineConfig({
  resolve: {
    // graphql 16 ships CJS (main) and ESM (module) builds. Node loads the CJS one for everybody, Vite
    // would pick the ESM one for our code while Apollo and graphql-ws, loaded by Node, get the CJS
    // one: two graphql instances, which graphql refuses. Use the one Node uses.
    alias: [{ find: /^graphql$/, replacement: 'graphql/index.js' }],
  },
  test: {
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/**/*.unit.test.ts'] } },
      {
        extends: true,
        test: { name: 'int', include: ['test/**/*.int.test.ts', 'test/contract/**/*.test.ts'], testTimeout: 30_000 },
      },
      { extends: true, test: { name: 'e2e', include: ['test/**/*.e2e.test.ts'], testTimeout: 60_000 } },
    ],
  },
});
