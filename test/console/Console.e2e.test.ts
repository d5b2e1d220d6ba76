/**
 * The operator's console in a real browser (Debian's Chromium) against the real service on loopback,
 * with the project's test LwM2M device: the guide's workflows end to end, as an operator clicks them.
 * The steps run in order on one service and one browser (each builds on the previous one).
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningService } from '../../src/main.ts';
import { TestDeviceObjects } from '../support/TestDeviceObjects.ts';
import { importTestDevice } from '../support/TestDevices.ts';
import { TestFirmwareObject } from '../support/TestFirmwareObject.ts';
import { TestLwM2mClient } from '../support/TestLwM2mClient.ts';
import { startTestService } from '../e2e/TestService.ts';
import { launchChromium, screenshot, signIn, unnamedControls } from './ConsoleBrowser.ts';

const endpoint = 'console-device-1';
const links = '</>;rt="oma.lwm2m";ct="110 0",</1/0>,</3/0>,</3303/0>;ver=1.1';
const temperatureDdf = readFileSync(new URL('../fixtures/ddf/3303.xml', import.meta.url));
const deviceDdf = readFileSync(new URL('../fixtures/ddf/3.xml', import.meta.url));
// Line 3 names a security mode the guide does not have: its line and column must be shown.
const registrationCsv = [
  'ID,IDTYPE,CREDENTIALS,NAME,TYPE,SHELL,com_cumulocity_model_Agent,endpoint id,lwm2m server url,securityMode',
  `${endpoint},c8y_Serial,not-used,Console device,c8y_lwm2m,1,1,${endpoint},coap://127.0.0.1:5683,NO_SEC`,
  'console-bad-1,c8y_Serial,not-used,Bad device,c8y_lwm2m,0,1,console-bad-1,coap://127.0.0.1:5683,DTLS',
  '',
].join('\n');

let dir: string;
let service: RunningService;
let baseUrl: string;
let browser: Browser;
let page: Page;
let objects: TestDeviceObjects;
let device: TestLwM2mClient | undefined;
let firmwareDevice: TestLwM2mClient | undefined;
/** Every address the console's page asked for: all must be the service's own (the console works offline). */
const addresses: string[] = [];

// Chromium's start is slow on a loaded CI machine: more than the default 10 s hook time-out allows.
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hub-console-'));
  service = await startTestService(dir);
  baseUrl = service.graphql.url.replace(/\/graphql$/, '/');
  browser = await launchChromium();
  page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
  page.on('request', (request) => addresses.push(request.url()));
  page.on('websocket', (socket) => addresses.push(socket.url()));
  objects = new TestDeviceObjects();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await device?.close();
  await firmwareDevice?.close();
  await service?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A moment as a datetime-local input takes it (the browser and this process share the machine's time zone). */
function localMoment(epochMs: number): string {
  const at = new Date(epochMs);
  const two = (value: number) => String(value).padStart(2, '0');
  return `${at.getFullYear()}-${two(at.getMonth() + 1)}-${two(at.getDate())}T${two(at.getHours())}:${two(at.getMinutes())}:${two(at.getSeconds())}`;
}

/** A link of the console's main navigation. */
const section = (name: string) => page.getByRole('navigation', { name: 'Sections', exact: true }).getByRole('link', { name, exact: true });

/** The row of a resource in the device's object tree. */
const resourceRow = (path: string) => page.locator(`tr[data-path="${path}"]`);

describe('the operator console', () => {
  it('refuses an unknown token, then signs in with the admin token and shows the (empty) fleet', async () => {
    await page.goto(baseUrl);
    await page.getByLabel('API token').fill('lwm2mhub_not-a-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').getByText(/UNAUTHENTICATED/).waitFor();
    await signIn(page, baseUrl, readFileSync(join(dir, 'admin.token'), 'utf8').trim());
    await page.getByRole('heading', { name: 'Devices' }).waitFor();
    expect(await page.getByTestId('role').textContent()).toBe('admin');
  });

  it('uploads a registration CSV with a bad row: the valid row is imported, the bad one shown with its line and column', async () => {
    await page.getByText('Register devices from a CSV file').click();
    await page.getByLabel('Registration CSV').setInputFiles({ name: 'devices.csv', mimeType: 'text/csv', buffer: Buffer.from(registrationCsv) });
    await page.getByLabel('import the valid rows only').check();
    await page.getByRole('button', { name: 'Upload' }).click();
    const rowErrors = page.getByRole('table', { name: 'Row errors' });
    await rowErrors.waitFor();
    const cells = await rowErrors.locator('tbody tr').first().locator('td').allTextContents();
    expect(cells[0]).toBe('3');
    expect(cells[1]).toBe('securityMode (column 10)');
    expect(cells[2]).toMatch(/DTLS/);
    await page.locator(`tr[data-endpoint="${endpoint}"]`).getByText('offline').waitFor();
    expect(await page.locator('tr[data-endpoint="console-bad-1"]').count()).toBe(0);
  });

  it('uploads DDF files: a broken one shows the parser error with its line, a good one becomes a protocol', async () => {
    await section('Device protocols').click();
    await page.getByLabel(/drop a DDF\/XML file here/).setInputFiles({ name: 'broken.xml', mimeType: 'text/xml', buffer: Buffer.from('<LWM2M>\n  <Object ObjectType="MODefinition">\n    <Name>Broken</Name>\n  </Object>\n</LWM2M>\n') });
    const ddfErrors = page.getByRole('table', { name: 'DDF errors' });
    await ddfErrors.waitFor();
    expect(await ddfErrors.locator('tbody tr').count()).toBeGreaterThan(0);

    await page.getByLabel(/drop a DDF\/XML file here/).setInputFiles({ name: '3303.xml', mimeType: 'text/xml', buffer: temperatureDdf });
    await page.getByRole('status').getByText(/3303 Temperature 1.1 added/).waitFor();
    await page.getByLabel(/drop a DDF\/XML file here/).setInputFiles({ name: '3.xml', mimeType: 'text/xml', buffer: deviceDdf });
    await page.getByRole('status').getByText(/3 Device 1.2 added/).waitFor();
    await screenshot(page, 'protocols');
  });

  it('turns on Send measurement, Create alarm and auto-observe for the temperature, as the guide describes', async () => {
    await page.getByRole('link', { name: 'Temperature' }).click();
    await page.getByRole('heading', { name: 'Temperature' }).waitFor();
    const row = page.locator('tr[data-resource="5700"]');
    // Auto-observe needs another functionality first.
    await row.getByRole('button', { name: 'Configure' }).click();
    const autoObserve = page.getByLabel('Observe this resource whenever a device registers');
    expect(await autoObserve.isDisabled()).toBe(true);

    const measurement = page.locator('fieldset[data-functionality="SEND_MEASUREMENT"]');
    await measurement.getByLabel('Send measurement').check();
    await measurement.getByLabel('Type').fill('c8y_TemperatureMeasurement');
    await measurement.getByLabel('Series').fill('T');
    await measurement.getByLabel('Unit').fill('Cel');
    await measurement.getByRole('button', { name: 'Save Send measurement' }).click();
    await row.getByText('measurement c8y_TemperatureMeasurement.T').waitFor();

    const alarm = page.locator('fieldset[data-functionality="CREATE_ALARM"]');
    await alarm.getByLabel('Create alarm').check();
    await alarm.getByLabel('Severity').selectOption('MAJOR');
    await alarm.getByLabel('Type').fill('c8y_TemperatureAlarm');
    await alarm.getByLabel('Text').fill('Temperature is {value}');
    await alarm.getByRole('button', { name: 'Save Create alarm' }).click();
    await row.getByText('alarm major c8y_TemperatureAlarm').waitFor();

    const event = page.locator('fieldset[data-functionality="SEND_EVENT"]');
    await event.getByLabel('Send event').check();
    await event.getByLabel('Type').fill('c8y_TemperatureReading');
    await event.getByLabel('Text').fill('Temperature read: {value}');
    await event.getByRole('button', { name: 'Save Send event' }).click();
    await row.getByText('event c8y_TemperatureReading').waitFor();

    await autoObserve.check();
    await row.getByText('auto-observe').waitFor();
    expect(await unnamedControls(page)).toEqual([]);
    await screenshot(page, 'protocol-3303');
  });

  it('adds a validation rule group to a writable resource of the Device protocol', async () => {
    await section('Device protocols').click();
    await page.getByRole('link', { name: 'Device', exact: true }).click();
    const row = page.locator('tr[data-resource="14"]');
    await row.getByRole('img', { name: 'no validation rules' }).waitFor();
    await row.getByRole('button', { name: 'Configure' }).click();
    await page.getByLabel('Group name').fill('utc-offset-format');
    await page.getByLabel('Rule 1 type').selectOption('REGEX');
    await page.getByLabel('Rule 1 operator').selectOption('EQUALS');
    await page.getByLabel('Rule 1 value').fill('^[+-]\\d\\d:\\d\\d$');
    await page.getByRole('button', { name: 'Save group' }).click();
    await row.getByRole('img', { name: '1 validation rule group(s)' }).waitFor();
    await screenshot(page, 'protocol-3-rules');
  });

  it('shows the device turn online when it registers, without a reload', async () => {
    await section('Devices').click();
    const row = page.locator(`tr[data-endpoint="${endpoint}"]`);
    await row.getByText('offline').waitFor();
    // A mark on the page's global object: a reload would drop it.
    await page.evaluate(() => {
      Object.assign(globalThis, { consoleNotReloaded: true });
    });

    device = await TestLwM2mClient.start({ serverHost: '127.0.0.1', serverPort: service.coap.local.port, endpoint, binding: 'U', lifetime: 600, objectLinks: links, device: objects });
    expect((await device.register()).code).toBe('2.01');

    await row.getByText('online').waitFor();
    await page.getByTestId('live-state').getByText('live').waitFor();
    expect(await row.locator('td').nth(4).textContent()).toBe('1.1');
    expect(await page.evaluate(() => 'consoleNotReloaded' in globalThis)).toBe(true);
    expect(await unnamedControls(page)).toEqual([]);
    await screenshot(page, 'devices');
  });

  it('reads /3/0 from the object tree and shows its values', async () => {
    await page.getByRole('link', { name: endpoint }).click();
    await page.getByRole('link', { name: 'Objects' }).click();
    await page.getByRole('button', { name: 'Read /3/0', exact: true }).click();
    await page.getByTestId('value-/3/0/0').getByText('lwm2m-hub tests').waitFor();
    expect(await page.getByTestId('value-/3/0/2').textContent()).toContain('SN-0001');
    expect(await resourceRow('/3/0/0').locator('th').textContent()).toContain('Manufacturer');
    expect(await unnamedControls(page)).toEqual([]);
  });

  it('reads the resources ticked in one composite read', async () => {
    await page.getByLabel('Select /3303/0/5700 Sensor Value').check();
    await page.getByLabel('Select /3303/0/5701 Sensor Units').check();
    await page.getByRole('button', { name: 'Read selected (2)' }).click();
    await page.getByTestId('value-/3303/0/5701').getByText('Cel').waitFor();
    await page.locator('[data-kind="READ_COMPOSITE"][data-status="SUCCEEDED"]').waitFor();
  });

  it('observes a resource and shows the new value the device notifies', async () => {
    await page.getByRole('button', { name: 'Observe /3/0/9', exact: true }).click();
    await resourceRow('/3/0/9').locator('[data-kind="OBSERVE"][data-status="SUCCEEDED"]').waitFor();
    await page.getByTestId('value-/3/0/9').getByText('87').waitFor();
    objects.set('/3/0/9', 42);
    await page.getByTestId('value-/3/0/9').getByText('42').waitFor();
    await screenshot(page, 'device-objects');
    // The README's picture of the device page: what a 1280x800 window shows.
    await screenshot(page, 'device-page', false);
  });

  it('executes with arguments, writes notification attributes and discovers, as the model allows', async () => {
    await page.getByRole('button', { name: 'Execute /3/0/4', exact: true }).click();
    await page.getByLabel(/Arguments for \/3\/0\/4/).fill("0='now'");
    await page.getByRole('button', { name: 'Execute', exact: true }).click();
    await resourceRow('/3/0/4').locator('[data-kind="EXECUTE"][data-status="SUCCEEDED"]').waitFor();
    expect(objects.executed).toContain("/3/0/4 0='now'");

    await page.getByRole('button', { name: 'Write attributes /3/0/9', exact: true }).click();
    await page.getByLabel('Not more often than every (pmin, s)').fill('5');
    await page.getByLabel('At least once every (pmax, s)').fill('60');
    await page.getByRole('button', { name: 'Write attributes', exact: true }).click();
    await resourceRow('/3/0/9').locator('[data-kind="WRITE_ATTRIBUTES"][data-status="SUCCEEDED"]').waitFor();
    expect(objects.attributes.get('/3/0/9')).toEqual(expect.arrayContaining(['pmin=5', 'pmax=60']));

    await page.getByRole('button', { name: 'Discover /3/0', exact: true }).click();
    await page.locator('[data-path="/3/0"] [data-kind="DISCOVER"][data-status="SUCCEEDED"]').first().waitFor();
    // Executable and not readable: no Read, no Observe.
    expect(await page.getByRole('button', { name: 'Read /3/0/4', exact: true }).count()).toBe(0);
  });

  it('refuses a write that breaks the validation rules and names the failed group', async () => {
    await page.getByRole('button', { name: 'Write /3/0/14', exact: true }).click();
    await page.getByLabel('New value of /3/0/14').fill('+01');
    await page.getByRole('button', { name: 'Write', exact: true }).click();
    const refusal = page.locator('[data-failed-group="utc-offset-format"]');
    await refusal.waitFor();
    expect(await refusal.textContent()).toContain('utc-offset-format');
    await screenshot(page, 'device-write-refused');

    // A value the rules accept is written; it shows as written until the device reports it.
    await page.getByLabel('New value of /3/0/14').fill('+01:00');
    await page.getByRole('button', { name: 'Write', exact: true }).click();
    await page.getByTestId('value-/3/0/14').getByText('(written, not read back)').waitFor();
    expect(await page.getByTestId('value-/3/0/14').textContent()).toContain('+01:00');
    await page.getByRole('button', { name: 'Read /3/0/14', exact: true }).click();
    await resourceRow('/3/0/14').locator('[data-kind="READ"][data-status="SUCCEEDED"]').waitFor();
    await page.getByTestId('value-/3/0/14').getByText('(written, not read back)').waitFor({ state: 'detached' });
    expect(await page.getByTestId('value-/3/0/14').textContent()).toContain('+01:00');
  });

  it('runs a shell command and shows its result', async () => {
    await page.getByRole('link', { name: 'Shell' }).click();
    await page.getByLabel(/Commands, one per line/).fill('read /3/0/2');
    await page.getByRole('button', { name: 'Run' }).click();
    const history = page.getByRole('list', { name: 'Shell history' });
    await history.getByText(/SN-0001/).waitFor();

    // The parser's error names the line and column.
    await page.getByLabel(/Commands, one per line/).fill('read /3/0/2\nreed /3/0');
    await page.getByRole('button', { name: 'Run' }).click();
    await page.getByRole('alert').getByText(/line 2, column 1/).waitFor();
    expect(await unnamedControls(page)).toEqual([]);
    await screenshot(page, 'device-shell');
  });

  it('charts the auto-observed temperature and adds the point a notification brings', async () => {
    await page.getByRole('link', { name: 'Measurements' }).click();
    const series = page.locator('figure[data-series="c8y_TemperatureMeasurement T"]');
    await series.getByTestId('latest-value').getByText('21.5 Cel').waitFor();
    const before = Number(await series.getByTestId('point-count').textContent());
    objects.set('/3303/0/5700', 24.5);
    await series.getByTestId('latest-value').getByText('24.5 Cel').waitFor();
    expect(Number(await series.getByTestId('point-count').textContent())).toBe(before + 1);
    expect(await series.locator('canvas').count()).toBe(1);
    await screenshot(page, 'device-measurements');
  });

  it('lists the events the temperature readings sent', async () => {
    await page.getByRole('navigation', { name: 'Device sections' }).getByRole('link', { name: 'Events' }).click();
    await page.getByRole('table', { name: 'Events' }).getByText('Temperature read: 24.5').waitFor();
    await screenshot(page, 'device-events');
  });

  it('shows the alarm the temperature raised, and acknowledges it', async () => {
    await page.getByRole('navigation', { name: 'Device sections' }).getByRole('link', { name: 'Alarms' }).click();
    const alarm = page.locator('tr[data-status="ACTIVE"]').filter({ hasText: 'c8y_TemperatureAlarm' });
    await alarm.waitFor();
    await alarm.getByRole('button', { name: 'Acknowledge' }).click();
    await page.locator('tr[data-status="ACKNOWLEDGED"]').filter({ hasText: 'c8y_TemperatureAlarm' }).waitFor();
    await screenshot(page, 'device-alarms');
  });

  it('lists the operations live, and cancels one the device leaves unanswered', async () => {
    await page.getByRole('link', { name: 'Objects' }).click();
    objects.silent = true;
    await page.getByRole('button', { name: 'Read /3/0/1', exact: true }).click();
    await page.getByRole('link', { name: 'Operations' }).click();
    const waiting = page.getByRole('table', { name: 'Operations' }).locator('tbody tr').filter({ hasText: '/3/0/1' });
    await waiting.getByRole('button', { name: 'Cancel' }).click();
    await waiting.getByText('cancelled', { exact: true }).waitFor();
    objects.silent = false;
    expect(await page.getByRole('table', { name: 'Operations' }).getByText('succeeded', { exact: true }).count()).toBeGreaterThan(0);
    await screenshot(page, 'device-operations');
  });

  it('adds a firmware by URL to the repository, offered on the device page', async () => {
    await section('Firmware').click();
    await page.getByText('Add a firmware').click();
    await page.getByLabel('Name').fill('console-fw');
    await page.getByLabel('Version').fill('2.0.0');
    await page.getByLabel(/or a URL the device fetches itself/).fill('coap://192.0.2.10/console-fw-2.0.0.bin');
    await page.getByRole('button', { name: 'Add' }).click();
    await page.getByRole('table', { name: 'Firmware' }).getByText('coap://192.0.2.10/console-fw-2.0.0.bin').waitFor();
    await screenshot(page, 'firmware');
    await page.goto(`${baseUrl}devices/${endpoint}/firmware`);
    await page.getByLabel('Firmware', { exact: true }).getByText('console-fw 2.0.0').waitFor({ state: 'attached' });
  });

  it('uploads a firmware binary and updates a device to it, following the steps to the outcome', async () => {
    const fwEndpoint = 'console-fw-device';
    const binary = Buffer.from('console firmware 3.0.0 '.repeat(64));
    await importTestDevice(service.store, fwEndpoint);
    const fwObjects = new TestDeviceObjects();
    // A device that only takes pushed packages (/5/0/9 = 1) over CoAP.
    const firmware = new TestFirmwareObject(fwObjects, { deliveryMethod: 1, protocols: [0], currentVersion: '1.0.0' });
    firmware.expectedSha256 = createHash('sha256').update(binary).digest('hex');
    firmware.newVersion = '3.0.0';
    const client = await TestLwM2mClient.start({ serverHost: '127.0.0.1', serverPort: service.coap.local.port, endpoint: fwEndpoint, lifetime: 600, objectLinks: '</>;rt="oma.lwm2m";ct="110 0",</1/0>,</3/0>,</5/0>', device: firmware });
    firmwareDevice = client;
    firmware.onRestart = async () => {
      await client.register();
    };
    expect((await client.register()).code).toBe('2.01');

    await section('Firmware').click();
    await page.getByText('Add a firmware').click();
    await page.getByLabel('Name').fill('console-app');
    await page.getByLabel('Version').fill('3.0.0');
    await page.getByLabel(/Binary/).setInputFiles({ name: 'console-app-3.0.0.bin', mimeType: 'application/octet-stream', buffer: binary });
    await page.getByRole('button', { name: 'Add' }).click();
    await page.getByRole('table', { name: 'Firmware' }).getByText(`stored, ${binary.length} bytes`, { exact: false }).waitFor();

    await page.goto(`${baseUrl}devices/${fwEndpoint}/firmware`);
    await page.getByLabel('Firmware', { exact: true }).selectOption({ label: 'console-app 3.0.0' });
    await page.getByRole('button', { name: 'Start update' }).click();
    const update = page.locator('article').filter({ hasText: 'console-app 3.0.0 (push)' });
    await update.getByText('succeeded', { exact: true }).waitFor();
    expect(await update.getByRole('listitem').allTextContents()).toEqual(expect.arrayContaining([expect.stringContaining('update-executed')]));
    expect(firmware.received?.via).toBe('push');
    await screenshot(page, 'device-firmware');
  });

  it('lists the alarms of the fleet, filtered by status', async () => {
    await section('Alarms').click();
    const row = page.getByRole('table', { name: 'Alarms' }).locator('tbody tr').filter({ hasText: 'c8y_TemperatureAlarm' });
    await row.getByRole('link', { name: endpoint }).waitFor();
    await page.getByRole('group', { name: 'Status' }).getByLabel('acknowledged').uncheck();
    await page.getByText('0 alarm(s)').waitFor();
    await page.getByRole('group', { name: 'Status' }).getByLabel('acknowledged').check();
    await row.waitFor();
    await screenshot(page, 'alarms');
  });

  it('shows the registration, the history timeline and the state as of a moment', async () => {
    await page.goto(`${baseUrl}devices/${endpoint}`);
    await page.getByRole('link', { name: 'Overview' }).click();
    await page.getByRole('heading', { name: 'Registration', exact: true }).waitFor();
    await screenshot(page, 'device-overview');
    await page.getByRole('link', { name: 'History' }).click();
    const timeline = page.getByRole('list', { name: 'Device history' });
    await timeline.getByText('DeviceRegistered').first().waitFor();
    await timeline.getByText(`registered from 127.0.0.1:${device?.port ?? 0} over plain, lifetime 600 s, binding U, LwM2M 1.1`).waitFor();
    // One request's events: the read of /3/0, from the operator's request to the device's answer.
    const everything = await timeline.getByRole('listitem').count();
    await timeline.getByRole('listitem').filter({ hasText: 'read /3/0 requested by user:' }).getByRole('button', { name: 'Events of this request' }).click();
    await page.getByRole('button', { name: 'Show every event' }).waitFor();
    const oneRequest = await timeline.getByRole('listitem').allTextContents();
    expect(oneRequest.length).toBeLessThan(everything);
    expect(oneRequest[0]).toContain('read /3/0 requested by user:');
    expect(oneRequest.some((entry) => entry.includes('the device answered 2.05'))).toBe(true);
    await screenshot(page, 'device-history-request');
    await page.getByRole('button', { name: 'Show every event' }).click();

    // As of a minute from now: registered, from the test device's address.
    await page.getByLabel('Moment (your local time)').fill(localMoment(Date.now() + 60_000));
    await page.getByRole('button', { name: 'Show' }).click();
    await page.getByTestId('as-of-state').getByText(`yes, from 127.0.0.1:${device?.port ?? 0} over plain`).waitFor();
    await screenshot(page, 'device-history');
    // As of a day ago, before the CSV was imported: the device did not exist.
    await page.getByLabel('Moment (your local time)').fill(localMoment(Date.now() - 24 * 60 * 60_000));
    await page.getByRole('button', { name: 'Show' }).click();
    await page.getByText('The device did not exist yet at that moment.').waitFor();

    // It registered without bootstrapping.
    await page.getByRole('link', { name: 'Bootstrap' }).click();
    await page.getByText('No bootstrap session.').waitFor();
  });

  it('asked nothing of any address but the service', () => {
    const origin = new URL(baseUrl);
    const foreign = addresses.filter((address) => {
      const url = new URL(address);
      return url.host !== origin.host && url.protocol !== 'data:';
    });
    expect(addresses.length).toBeGreaterThan(10);
    expect(addresses.some((address) => address.startsWith(`ws://${origin.host}/graphql`))).toBe(true);
    expect(foreign).toEqual([]);
  });

  it('shows a viewer no button that would be refused', async () => {
    const viewerToken = (await service.tokens.create({ role: 'viewer', actor: 'system:test' })).token;
    // A tablet held upright.
    const viewer = await (await browser.newContext({ viewport: { width: 768, height: 1024 } })).newPage();
    // By keyboard alone: Tab to the token field, type it, Enter.
    await viewer.goto(baseUrl);
    await viewer.getByLabel('API token').waitFor();
    await viewer.keyboard.press('Tab');
    await viewer.keyboard.type(viewerToken);
    await viewer.keyboard.press('Enter');
    await viewer.getByRole('navigation', { name: 'Sections', exact: true }).waitFor();
    expect(await viewer.getByTestId('role').textContent()).toBe('viewer (read only)');
    await viewer.locator(`tr[data-endpoint="${endpoint}"]`).waitFor();
    await screenshot(viewer, 'viewer-devices-tablet');
    expect(await viewer.getByText('Register devices from a CSV file').count()).toBe(0);

    await viewer.goto(`${baseUrl}devices/${endpoint}/objects`);
    await viewer.getByTestId('value-/3/0/9').getByText('42').waitFor();
    for (const name of ['Read', 'Write', 'Observe', 'Execute', 'Delete', 'Create instance', 'Decommission']) {
      expect(await viewer.getByRole('button', { name, exact: true }).count()).toBe(0);
    }
    await screenshot(viewer, 'viewer-device-objects');

    await viewer.goto(`${baseUrl}devices/${endpoint}/alarms`);
    await viewer.locator('tr[data-status="ACKNOWLEDGED"]').waitFor();
    expect(await viewer.getByRole('button', { name: 'Clear' }).count()).toBe(0);
    await viewer.goto(`${baseUrl}protocols/3303`);
    await viewer.getByRole('heading', { name: 'Temperature' }).waitFor();
    expect(await viewer.getByText(/drop a DDF/).count()).toBe(0);
    await viewer.close();
  });

  it('decommissions the device after a confirmation, and the page shows it at once', async () => {
    page.once('dialog', (dialog) => void dialog.accept());
    await page.goto(`${baseUrl}devices/${endpoint}`);
    await page.getByRole('button', { name: 'Decommission' }).click();
    await page.getByTestId('device-state').getByText('decommissioned').waitFor();
    expect(await page.getByRole('button', { name: 'Decommission' }).count()).toBe(0);

    // The list shows active devices unless asked for the decommissioned ones.
    await section('Devices').click();
    await page.locator('tr[data-endpoint="console-fw-device"]').waitFor();
    expect(await page.locator(`tr[data-endpoint="${endpoint}"]`).count()).toBe(0);
    await page.getByLabel('Status').selectOption('DECOMMISSIONED');
    await page.locator(`tr[data-endpoint="${endpoint}"]`).getByText('decommissioned').waitFor();
  });

  it('clears the acknowledged alarm, which then shows only among the cleared ones', async () => {
    await section('Alarms').click();
    const alarms = page.getByRole('table', { name: 'Alarms' });
    await alarms.locator('tr[data-status="ACKNOWLEDGED"]').getByRole('button', { name: 'Clear' }).click();
    await page.getByTestId('alarm-count').getByText('0 alarm(s)').waitFor();
    await page.getByRole('group', { name: 'Status' }).getByLabel('cleared').check();
    await alarms.locator('tr[data-status="CLEARED"]').filter({ hasText: 'c8y_TemperatureAlarm' }).waitFor();
  });
});
