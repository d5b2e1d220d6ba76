/**
 * The GraphQL explorer a browser gets at /graphql: GraphiQL 5 (schema documentation, completion,
 * variables, request headers), bundled by Vite with its Monaco editor workers so that it works
 * offline; subscriptions go over graphql-ws on the same address, the token in the connection_init
 * payload. The token is the one the console signed in with in this tab, or asked for first (the
 * schema is fetched once, at start, and needs it). The example operations of examples/graphql open
 * as tabs on a first visit and stay offered in the Examples panel. Written with createElement, as
 * the rest of the console is Preact JSX.
 */
import 'graphiql/setup-workers/vite';
import 'graphiql/style.css';
import { useGraphiQL } from '@graphiql/react';
import type { GraphiQLPlugin } from '@graphiql/react';
import { createGraphiQLFetcher } from '@graphiql/toolkit';
import type { Fetcher } from '@graphiql/toolkit';
import { GraphiQL } from 'graphiql';
import { createElement } from 'react';
import { createRoot } from 'react-dom/client';
import { exampleOperations } from './ExampleOperations.ts';
import type { ExampleOperation } from './ExampleOperations.ts';

const examples = exampleOperations(import.meta.glob<string>('../../../examples/graphql/*.graphql', { query: '?raw', import: 'default', eager: true }));

/** The console keeps the signed-in token of this tab here (console/src/api/Session.ts). */
const tokenKey = 'lwm2m-hub.token';

/** Every request carries the token, the schema's introspection too; the Headers editor may set another. */
function tokenFetcher(token: string): Fetcher {
  const endpoint = new URL('/graphql', location.href);
  const subscriptions = new URL(endpoint);
  subscriptions.protocol = endpoint.protocol === 'https:' ? 'wss:' : 'ws:';
  const authorization = `Bearer ${token}`;
  const fetcher = createGraphiQLFetcher({ url: endpoint.href, subscriptionUrl: subscriptions.href, wsConnectionParams: { authorization } });
  return (params, options) => fetcher(params, { ...options, headers: { authorization, ...options?.headers } });
}

function ExamplesPanel() {
  const queryEditor = useGraphiQL((state) => state.queryEditor);
  const variableEditor = useGraphiQL((state) => state.variableEditor);
  const open = (example: ExampleOperation) => {
    queryEditor?.setValue(example.query);
    variableEditor?.setValue(example.variables);
  };
  return createElement(
    'div',
    null,
    createElement('div', { className: 'graphiql-doc-explorer-title' }, 'Examples'),
    createElement('p', null, 'Operations for the common tasks (examples/graphql in the project): open one in the current tab, edit its variables, run it.'),
    createElement(
      'ul',
      { style: { listStyle: 'none', padding: 0 } },
      examples.map((example) =>
        createElement(
          'li',
          { key: example.name },
          createElement('button', { type: 'button', className: 'graphiql-un-styled', 'data-example': example.name, style: { padding: '0.3rem 0' }, onClick: () => open(example) }, example.name),
        ),
      ),
    ),
  );
}

const examplesPlugin: GraphiQLPlugin = {
  title: 'Examples',
  icon: () => createElement('span', { 'aria-hidden': true, style: { fontWeight: 700 } }, 'Ex'),
  content: ExamplesPanel,
};

function Explorer({ token }: { readonly token: string }) {
  const headers = JSON.stringify({ authorization: `Bearer ${token}` }, null, 2);
  return createElement(GraphiQL, {
    fetcher: tokenFetcher(token),
    plugins: [examplesPlugin],
    defaultHeaders: headers,
    defaultTabs: examples.map((example) => ({ query: example.query, variables: example.variables, headers })),
    defaultEditorToolsVisibility: true,
  });
}

function SignIn({ onToken }: { readonly onToken: (token: string) => void }) {
  const submit = (event: SubmitEvent) => {
    event.preventDefault();
    const token = new FormData(event.target as HTMLFormElement).get('token');
    if (typeof token === 'string' && token.trim() !== '') onToken(token.trim());
  };
  return createElement(
    'form',
    { onSubmit: submit, style: { maxWidth: '40rem', margin: '3rem auto', fontFamily: 'system-ui, sans-serif' } },
    createElement('h1', null, 'lwm2m-hub GraphQL explorer'),
    createElement('p', null, 'The admin token is in admin.token in the data directory; lwm2m-hub token create --role viewer makes others.'),
    createElement('label', { htmlFor: 'token' }, 'API token'),
    createElement('input', { id: 'token', name: 'token', type: 'password', autoComplete: 'off', style: { display: 'block', width: '100%', margin: '0.5rem 0' } }),
    createElement('button', { type: 'submit' }, 'Open the explorer'),
  );
}

const container = document.getElementById('explorer');
if (container === null) throw new Error('explorer.html has no #explorer element');
const root = createRoot(container);
const open = (token: string) => root.render(createElement(Explorer, { token }));
const signedIn = sessionStorage.getItem(tokenKey);
if (signedIn === null) {
  root.render(
    createElement(SignIn, {
      onToken: (token) => {
        sessionStorage.setItem(tokenKey, token);
        open(token);
      },
    }),
  );
} else {
  open(signedIn);
}
