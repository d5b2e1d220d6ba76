/**
 * The GraphQL explorer (GraphiQL, built with the console) at /graphql: every file it loads comes from
 * the service itself, and in Debian's Chromium, with every request to another origin refused, it runs
 * an example operation with the signed-in token and subscribes over graphql-ws.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningService } from '../../src/main.ts';
import { startTestService } from '../e2e/TestService.ts';
import { postGraphQL } from '../e2e/GraphQLTestClient.ts';
import { TestDeviceObjects } from '../support/TestDeviceObjects.ts';
import { TestLwM2mClient } from '../support/TestLwM2mClient.ts';
import { launchChromium, screenshot } from './ConsoleBrowser.ts';

let dir: string;
let service: RunningService;
let origin: string;
let adminToken: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hub-explorer-'));
  service = await startTestService(dir);
  origin = new URL(service.graphql.url).origin;
  adminToken = readFileSync(join(dir, 'admin.token'), 'utf8').trim();
});

afterAll(async () => {
  await service?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Same-origin files a built file names: Vite writes them as `/assets/<name>` or `assets/<name>` (workers, fonts, chunks). */
function assetsNamed(text: string): string[] {
  return [...text.matchAll(/(?:^|[^\w.-])\/?(assets\/[\w.-]+\.(?:js|css|ttf|woff2?|svg|png))/g)].map((match) => `/${match[1] ?? ''}`);
}

describe('the explorer over plain HTTP', () => {
  it('is what a browser gets at /graphql, and it and every file it loads come from the service, with no external address', async () => {
    const page = await fetch(service.graphql.url, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    const html = await page.text();
    expect(html).toContain('<div id="explorer">');
    expect(html).not.toMatch(/https?:\/\//);
    for (const [, reference] of html.matchAll(/(?:src|href)="([^"]+)"/g)) expect(reference).toMatch(/^(\/assets\/|data:)/);

    const pending = assetsNamed(html);
    const loaded = new Map<string, string>();
    while (pending.length > 0) {
      const path = pending.pop() ?? '';
      if (loaded.has(path)) continue;
      const response = await fetch(new URL(path, origin));
      expect(response.status, path).toBe(200);
      const type = response.headers.get('content-type') ?? '';
      const text = type.startsWith('text/') ? await response.text() : '';
      if (!type.startsWith('text/')) await response.arrayBuffer();
      loaded.set(path, type);
      // Nothing fetched from elsewhere: no script, module, style or font from an http(s) URL or a CDN.
      expect(text, path).not.toMatch(/(?:import\(|from|url\()\s*["']?https?:/);
      expect(text, path).not.toMatch(/esm\.sh|unpkg\.com|cdn\.jsdelivr|cdnjs\.cloudflare/);
      pending.push(...assetsNamed(text));
    }
    const files = [...loaded.keys()];
    // The page's script and style, and Monaco's editor, JSON and GraphQL workers.
    for (const name of [/\/assets\/explorer-[\w-]+\.js$/, /\/assets\/explorer-[\w-]+\.css$/, /editor\.worker-[\w-]+\.js$/, /json\.worker-[\w-]+\.js$/, /graphql\.worker-[\w-]+\.js$/]) {
      expect(files.some((file) => name.test(file)), String(name)).toBe(true);
    }
  });
});

describe('the explorer in Chromium, offline', () => {
  let browser: Browser;
  let page: Page;
  const elsewhere: string[] = [];

  beforeAll(async () => {
    browser = await launchChromium();
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    // Every request that leaves the service's origin is refused and remembered: there must be none.
    await context.route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith(origin) || url.startsWith('data:') || url.startsWith('blob:')) return route.continue();
      elsewhere.push(url);
      return route.abort();
    });
    // As if the operator had signed in to the console in this tab.
    await context.addInitScript((token) => sessionStorage.setItem('lwm2m-hub.token', token), adminToken);
    page = await context.newPage();
  });

  afterAll(async () => {
    await browser?.close();
  });

  /**
   * Opens an example's tab and runs it. GraphiQL takes the operation's name from the editor 100 ms
   * after its text changes (a debounce in @graphiql/react's operation editor): run before that, and it
   * sends the previous tab's name.
   */
  async function run(tab: string, firstLine: string): Promise<void> {
    // A click while GraphiQL is still setting up its editor (Monaco, the schema) can be lost: click
    // again until the editor shows the example, a bounded number of times.
    const editor = page.locator('.graphiql-query-editor').filter({ hasText: firstLine });
    for (let attempt = 1; ; attempt += 1) {
      await page.getByRole('tab', { name: tab }).click();
      try {
        await editor.waitFor({ timeout: 5000 });
        break;
      } catch (error) {
        if (attempt === 6) throw error;
      }
    }
    await page.waitForTimeout(300);
    await page.getByRole('button', { name: /Execute query/ }).click();
  }

  /** What the response pane shows, once it shows `expected`. */
  async function response(expected: string): Promise<string> {
    await page.locator('.result-window').filter({ hasText: expected }).waitFor();
    return (await page.locator('.result-window').textContent()) ?? '';
  }

  it('runs the list-devices example with the signed-in token and shows the schema documentation', async () => {
    await page.goto(service.graphql.url);
    await run('ListDevices', 'query ListDevices');
    expect(await response('totalCount')).toMatch(/"devices":\s*\{\s*"totalCount":\s*0/);
    // The documentation comes from the schema's introspection, which needs the token too.
    await page.getByRole('button', { name: /Show Documentation Explorer/ }).click();
    await page.getByText('Root Types').waitFor();
    await page.getByText('subscription', { exact: true }).waitFor();
    await screenshot(page, 'explorer');
  });

  it("subscribes to a device's values over graphql-ws with the subscribe example, and fetched nothing from elsewhere", async () => {
    const csv = readFileSync(new URL('../../examples/devices-nosec.csv', import.meta.url), 'utf8');
    expect((await postGraphQL(service.graphql.url, adminToken, 'mutation($csv: String!) { importDeviceRegistrations(csv: $csv) { imported } }', { csv })).errors).toBeUndefined();
    const device = await TestLwM2mClient.start({ serverHost: '127.0.0.1', serverPort: service.coap.local.port, endpoint: 'demo-nosec-0001', objectLinks: '</1/0>,</3/0>,</3303/0>', device: new TestDeviceObjects() });
    try {
      expect((await device.register()).code).toBe('2.01');
      await run('ResourceValues', 'subscription ResourceValues');
      // The subscription starts when the socket is open: read until a value reaches the page.
      const shown = page.locator('.result-window').filter({ hasText: '/3303/0/5700' }).waitFor({ timeout: 20_000 });
      let reads = 0;
      while (!(await Promise.race([shown.then(() => true), new Promise<false>((resolve) => setTimeout(() => resolve(false), 500))]))) {
        await service.deviceManagement.requestOperation('demo-nosec-0001', { kind: 'read', paths: ['/3303/0/5700'], content: null }, 'user:test', `explorer-read-${reads++}`);
      }
      expect(await page.locator('.result-window').textContent()).toMatch(/"resourceValues"/);
      await screenshot(page, 'explorer-subscription');
    } finally {
      await device.close();
    }
    expect(elsewhere).toEqual([]);
  });
});
