/**
 * The page a browser gets at GET /graphql: a small query form that works offline (no CDN, no external
 * font or script: everything is inline), replacing Apollo's default page, which loads from a CDN.
 */
import type { ApolloServerPlugin } from '@apollo/server';

const landingPageHtml = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>lwm2m-hub GraphQL</title>
<style>
  body { font-family: system-ui, sans-serif; margin: 1.5rem; max-width: 60rem; color: #1d2330; }
  label { display: block; margin-top: 0.8rem; font-weight: 600; }
  input, textarea { width: 100%; box-sizing: border-box; font-family: ui-monospace, monospace; font-size: 0.9rem; }
  textarea { min-height: 9rem; }
  button { margin-top: 0.8rem; padding: 0.4rem 1.2rem; }
  pre { background: #f3f4f7; padding: 0.8rem; overflow: auto; min-height: 4rem; }
</style>
</head>
<body>
<h1>lwm2m-hub GraphQL</h1>
<p>POST queries and mutations to this address with <code>Authorization: Bearer &lt;token&gt;</code>;
subscriptions use the graphql-transport-ws protocol on the same address. The first start writes an admin
token to <code>admin.token</code> in the data directory; <code>lwm2m-hub token create --role viewer</code> makes more.</p>
<form id="form">
  <label for="token">Token</label>
  <input id="token" type="password" autocomplete="off" placeholder="lwm2mhub_...">
  <label for="query">Query</label>
  <textarea id="query">query Devices {
  devices(first: 10) {
    totalCount
    edges { node { endpoint name status securityMode lwm2mPskKeySet updatedAt } }
  }
}</textarea>
  <label for="variables">Variables (JSON)</label>
  <textarea id="variables" style="min-height: 3rem">{}</textarea>
  <button type="submit">Run</button>
</form>
<label for="result">Result</label>
<pre id="result"></pre>
<script>
  const form = document.getElementById('form');
  const token = document.getElementById('token');
  token.value = sessionStorage.getItem('lwm2m-hub-token') || '';
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const out = document.getElementById('result');
    sessionStorage.setItem('lwm2m-hub-token', token.value);
    let variables;
    try { variables = JSON.parse(document.getElementById('variables').value || '{}'); }
    catch (error) { out.textContent = 'Variables are not JSON: ' + error.message; return; }
    const response = await fetch(location.pathname, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer ' + token.value },
      body: JSON.stringify({ query: document.getElementById('query').value, variables }),
    });
    const text = await response.text();
    try { out.textContent = response.status + '\\n' + JSON.stringify(JSON.parse(text), null, 2); }
    catch { out.textContent = response.status + '\\n' + text; }
  });
</script>
</body>
</html>
`;

export function offlineLandingPagePlugin(): ApolloServerPlugin {
  return {
    serverWillStart() {
      return Promise.resolve({
        renderLandingPage: () => Promise.resolve({ html: landingPageHtml }),
      });
    },
  };
}
