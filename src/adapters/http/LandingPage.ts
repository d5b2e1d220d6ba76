/**
 * The page a browser gets at GET /graphql (Apollo answers a GET that accepts text/html with the
 * landing page): the GraphQL explorer, GraphiQL bundled from console/explorer.html into the console's
 * build, so that it works offline (its scripts, styles and editor workers are the console route's
 * /assets files, nothing from a CDN), in place of Apollo's default page, which loads from a CDN. The
 * file is read at each request, so that a new build is served without a restart.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ApolloServerPlugin } from '@apollo/server';
import { builtConsoleDirectory } from './ConsoleFiles.ts';

const notBuiltHtml = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>lwm2m-hub GraphQL</title></head>
<body>
<h1>lwm2m-hub GraphQL</h1>
<p>The GraphQL explorer is not built: run <code>npm run build:console</code> in the project folder.</p>
<p>POST queries and mutations to this address with <code>Authorization: Bearer &lt;token&gt;</code>; subscriptions
use the graphql-transport-ws protocol on the same address. The first start writes an admin token to
<code>admin.token</code> in the data directory.</p>
</body>
</html>
`;

export function explorerLandingPagePlugin(consoleDirectory: string = builtConsoleDirectory): ApolloServerPlugin {
  const page = join(consoleDirectory, 'explorer.html');
  return {
    serverWillStart() {
      return Promise.resolve({
        renderLandingPage: () => Promise.resolve({ html: () => readFile(page, 'utf8').catch(() => notBuiltHtml) }),
      });
    },
  };
}
