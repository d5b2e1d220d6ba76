/**
 * Debian's Chromium driven by playwright-core for the console's browser tests: headless, a fresh
 * profile, no network beyond what the page asks for, and screenshots under test-results/console/
 * for a reviewer to look at.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';

export const chromiumPath = '/usr/bin/chromium';
export const screenshotDirectory = resolve(import.meta.dirname, '../../test-results/console');
const builtConsole = resolve(import.meta.dirname, '../../dist/console/index.html');

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(builtConsole)) throw new Error('the console is not built: run `npm run build:console` (npm install does it)');
  return chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
}

/** Saves a screenshot as test-results/console/<name>.png: the whole page, or what the window shows. */
export async function screenshot(page: Page, name: string, fullPage = true): Promise<void> {
  mkdirSync(screenshotDirectory, { recursive: true });
  await page.screenshot({ path: join(screenshotDirectory, `${name}.png`), fullPage });
}

/** Opens the console at `baseUrl` and signs in with `token`, as an operator pasting it would. */
export async function signIn(page: Page, baseUrl: string, token: string): Promise<void> {
  await page.goto(baseUrl);
  await page.getByLabel('API token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('navigation', { name: 'Sections' }).waitFor();
}

/** The roles of the controls an operator types in or presses: each must have an accessible name. */
const controlRoles = ['button', 'checkbox', 'combobox', 'link', 'radio', 'searchbox', 'spinbutton', 'textbox', 'slider'];

/** The controls of the page that a screen reader would announce without a name (from its accessibility tree). */
export async function unnamedControls(page: Page): Promise<string[]> {
  const tree = await page.locator('body').ariaSnapshot();
  return tree.split('\n').filter((line) => controlRoles.some((role) => new RegExp(`^\\s*- ${role}(?: \\[[^\\]]*\\])*:?\\s*$`).test(line)));
}
