import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LogFeed } from '../../../src/app/kernel/LogFeed.ts';
import { DeviceProtocolService } from '../../../src/app/protocols/DeviceProtocolService.ts';
import { commitImport } from '../../../src/app/kernel/ImportCommits.ts';
import { SqliteEventStore } from '../../../src/adapters/eventstore/SqliteEventStore.ts';
import type { ImportCommit } from '../../../src/domain/imports/StagedImports.ts';
import type { JsonObject } from '../../../src/domain/Json.ts';
import { silentLogger } from '../../../src/adapters/logging/Logger.ts';
import { TelemetryService } from '../../../src/app/telemetry/TelemetryService.ts';
import { DomainError } from '../../../src/domain/DomainError.ts';
import { parsePath } from '../../../src/domain/lwm2m/LwM2mPath.ts';
import type { LwM2mValue, PathValue } from '../../../src/domain/lwm2m/LwM2mValue.ts';
import { floatValue, integerValue, stringValue } from '../../../src/domain/lwm2m/LwM2mValue.ts';
import { AlarmQueries } from '../../../src/projections/alarms/AlarmQueries.ts';
import { DeviceEventQueries } from '../../../src/projections/deviceevents/DeviceEventQueries.ts';
import { DevicePropertyQueries } from '../../../src/projections/deviceproperties/DevicePropertyQueries.ts';
import { MeasurementQueries } from '../../../src/projections/measurements/MeasurementQueries.ts';
import { DeviceProtocolQueries } from '../../../src/projections/protocols/DeviceProtocolQueries.ts';
import { Projector } from '../../../src/projections/Projector.ts';
import { ReadModelDatabase } from '../../../src/projections/ReadModelDatabase.ts';
import { readModelProjections } from '../../../src/projections/ReadModels.ts';
import { ManualClock } from '../../support/ManualClock.ts';

const fixture = (name: string): string => readFileSync(new URL(`../../fixtures/ddf/${name}`, import.meta.url), 'utf8');
const temperatureDdf = fixture('3303.xml');
const temperature10Ddf = fixture('3303-1_0.xml');
const user = { actor: 'user:test', correlationId: 'corr-1' };

/** A DDF document holding the given `<Object>` elements. */
function document(...objects: string[]): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<LWM2M>${objects.join('\n')}</LWM2M>`;
}
function objectElement(xml: string): string {
  const start = xml.indexOf('<Object ');
  const end = xml.indexOf('</Object>') + '</Object>'.length;
  return xml.slice(start, end);
}

let dir: string;
let store: SqliteEventStore;
let database: ReadModelDatabase;
let projector: Projector;
let clock: ManualClock;
let protocols: DeviceProtocolService;
let telemetry: TelemetryService;
/** The test's feeds: the one its projector and service share, as main.ts's do, and those of the "other" instances. */
let feeds: LogFeed[];

/** A feed of its own, as another process reads the log. */
function feedOf(on: SqliteEventStore): LogFeed {
  const feed = new LogFeed({ store: on });
  feeds.push(feed);
  return feed;
}

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'device-protocols-'));
  store = await SqliteEventStore.open(join(dir, 'events.sqlite'));
  database = ReadModelDatabase.open(dir);
  feeds = [];
  const feed = feedOf(store);
  projector = new Projector({ store, feed, database, projections: readModelProjections, logger: silentLogger() });
  projector.start();
  clock = new ManualClock(Date.parse('2026-02-01T08:00:00Z'));
  protocols = new DeviceProtocolService({ store, feed, clock, logger: silentLogger() });
  telemetry = new TelemetryService({ store, protocols, clock });
});

afterEach(async () => {
  await projector.close();
  for (const feed of feeds) await feed.close();
  database.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

async function settle(): Promise<void> {
  await projector.waitFor(await store.headPosition(), 3000).catch(async (error: unknown) => {
    throw new Error(JSON.stringify(await projector.status()), { cause: error });
  });
}

/** What the read models show, to compare a rebuild with the live ones. */
function snapshot(): unknown {
  return {
    protocols: new DeviceProtocolQueries(database.db).list(),
    protocol: new DeviceProtocolQueries(database.db).get(3303),
    measurements: new MeasurementQueries(database.db).page({}, 100),
    alarms: new AlarmQueries(database.db).page({}, 100),
    events: new DeviceEventQueries(database.db).page({}, 100),
  };
}

function temperature(value: LwM2mValue, time?: number): PathValue {
  return time === undefined ? { path: parsePath('/3303/0/5700'), value } : { path: parsePath('/3303/0/5700'), value, time };
}

describe('DeviceProtocolService with TelemetryService on SQLite', () => {
  it('imports 3303, maps 5700 to measurements and one counted alarm, and shows it all in the read models', async () => {
    const imported = await protocols.importDdf(temperatureDdf, user);
    expect(imported).toMatchObject({ ok: true, protocols: [{ objectId: 3303, version: '1.1', name: 'Temperature', created: true }] });

    clock.advanceSeconds(60);
    await protocols.setResourceFunctionality(
      { objectId: 3303, resourceId: 5700, functionality: { kind: 'sendMeasurement', type: 'c8y_TemperatureMeasurement', series: 'T', unit: 'Cel' } },
      user,
    );
    await protocols.setResourceFunctionality(
      {
        objectId: 3303,
        version: '1.1',
        resourceId: 5700,
        functionality: { kind: 'createAlarm', severity: 'MAJOR', type: 'c8y_TemperatureAlarm', status: 'ACTIVE', text: 'Temperature is {value}' },
      },
      user,
    );
    await protocols.setResourceFunctionality({ objectId: 3303, resourceId: 5700, functionality: { kind: 'autoObserve' } }, user);
    expect(await protocols.autoObservedResources(3303, '1.1')).toEqual([5700]);
    // A device that gives no `ver` has 1.0 of the object: the newest 1.x uploaded applies.
    expect((await protocols.mappingFor(3303, undefined))?.version).toBe('1.1');

    clock.advanceSeconds(60);
    const deviceSeconds = Date.parse('2026-02-01T07:59:00Z') / 1000;
    await telemetry.recordValues({ endpoint: 'dev-1', values: [temperature(floatValue(21.5), deviceSeconds)] });
    clock.advanceSeconds(10);
    await telemetry.recordValues({ endpoint: 'dev-1', values: [temperature(floatValue(22))] });
    clock.advanceSeconds(10);
    await telemetry.recordValues({ endpoint: 'dev-1', values: [temperature(floatValue(22.5))], objectVersions: new Map([[3303, '1.1']]) });
    await settle();

    const page = new MeasurementQueries(database.db).page({ endpoint: 'dev-1', type: 'c8y_TemperatureMeasurement', series: 'T' }, 10);
    expect(page.measurements.map((m) => [m.value, m.unit, m.time.toISOString()])).toEqual([
      [21.5, 'Cel', '2026-02-01T07:59:00.000Z'],
      [22, 'Cel', '2026-02-01T08:02:10.000Z'],
      [22.5, 'Cel', '2026-02-01T08:02:20.000Z'],
    ]);
    expect(page.measurements[0]?.source).toEqual({ path: '/3303/0/5700', protocolVersion: '1.1', rule: 'sendMeasurement' });

    const alarms = new AlarmQueries(database.db).page({ endpoint: 'dev-1' }, 10);
    expect(alarms.alarms).toHaveLength(1);
    expect(alarms.alarms[0]).toMatchObject({
      alarmId: '1@dev-1',
      type: 'c8y_TemperatureAlarm',
      severity: 'MAJOR',
      status: 'ACTIVE',
      count: 3,
      text: 'Temperature is 22.5',
      firstTime: new Date('2026-02-01T07:59:00.000Z'),
      lastTime: new Date('2026-02-01T08:02:20.000Z'),
    });

    const view = new DeviceProtocolQueries(database.db).get(3303);
    expect(view).toMatchObject({ objectId: 3303, version: '1.1', name: 'Temperature', createdAt: new Date('2026-02-01T08:00:00Z') });
    expect(view?.updatedAt).toEqual(new Date('2026-02-01T08:01:00Z'));
    expect(view?.resources.find((r) => r.id === 5700)?.functionalities).toMatchObject({
      sendMeasurement: { type: 'c8y_TemperatureMeasurement' },
      createAlarm: { severity: 'MAJOR' },
      autoObserve: { kind: 'autoObserve' },
    });
    expect(view?.resources.find((r) => r.id === 5601)?.functionalities).toEqual({});

    // Removing the measurement leaves the alarm (and with it Auto-observe).
    await protocols.removeResourceFunctionality({ objectId: 3303, resourceId: 5700, kind: 'sendMeasurement' }, user);
    await settle();
    const reduced = new DeviceProtocolQueries(database.db).get(3303, '1.1');
    expect(Object.keys(reduced?.resources.find((r) => r.id === 5700)?.functionalities ?? {}).sort()).toEqual(['autoObserve', 'createAlarm']);

    // A rebuild from the log gives the same read models.
    const before = snapshot();
    await projector.rebuild();
    expect(snapshot()).toEqual(before);
  });

  it('acknowledges and clears an alarm; the next value raises a new one', async () => {
    await protocols.importDdf(temperatureDdf, user);
    await protocols.setResourceFunctionality(
      { objectId: 3303, resourceId: 5700, functionality: { kind: 'createAlarm', severity: 'CRITICAL', type: 'c8y_Hot', status: 'ACTIVE', text: 'hot' } },
      user,
    );
    await telemetry.recordValues({ endpoint: 'dev-1', values: [temperature(floatValue(90))] });
    expect(await telemetry.acknowledgeAlarm('1@dev-1', user)).toMatchObject({ changed: true });
    await settle();
    expect(new AlarmQueries(database.db).get('1@dev-1')?.status).toBe('ACKNOWLEDGED');
    await telemetry.clearAlarm('1@dev-1', user);
    const after = await telemetry.recordValues({ endpoint: 'dev-1', values: [temperature(floatValue(95))] });
    expect(after.alarms.map((e) => e.type)).toEqual(['AlarmRaised']);
    await settle();
    const alarms = new AlarmQueries(database.db);
    expect(alarms.page({ endpoint: 'dev-1', status: ['CLEARED'] }, 10).alarms.map((a) => a.alarmId)).toEqual(['1@dev-1']);
    expect(alarms.page({ endpoint: 'dev-1', status: ['ACTIVE', 'ACKNOWLEDGED'] }, 10).alarms.map((a) => a.alarmId)).toEqual(['2@dev-1']);
    await expect(telemetry.clearAlarm('9@dev-1', user)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('counts an alarm right when values of one device are recorded concurrently, by two service instances', async () => {
    await protocols.importDdf(temperatureDdf, user);
    await protocols.setResourceFunctionality(
      { objectId: 3303, resourceId: 5700, functionality: { kind: 'createAlarm', severity: 'MINOR', type: 'c8y_Warm', status: 'ACTIVE', text: 'warm' } },
      user,
    );
    const other = new TelemetryService({ store, protocols: new DeviceProtocolService({ store, feed: feedOf(store), clock, logger: silentLogger() }), clock });
    await Promise.all(
      Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? telemetry : other).recordValues({ endpoint: 'dev-1', values: [temperature(floatValue(30 + i))] })),
    );
    await settle();
    const alarms = new AlarmQueries(database.db).page({ endpoint: 'dev-1' }, 10).alarms;
    expect(alarms.map((a) => [a.alarmId, a.count])).toEqual([['1@dev-1', 20]]);
  });

  it('maps object 3 and 4 by default without any upload', async () => {
    await telemetry.recordValues({
      endpoint: 'dev-2',
      values: [
        { path: parsePath('/3/0/0'), value: stringValue('ACME') },
        { path: parsePath('/3/0/2'), value: stringValue('SN-1') },
        { path: parsePath('/3/0/9'), value: integerValue(80n) },
        { path: parsePath('/4/0/2'), value: integerValue(-70n) },
        { path: parsePath('/6/0/0'), value: floatValue(48.1) },
        { path: parsePath('/6/0/1'), value: floatValue(11.6) },
      ],
    });
    await settle();
    const measurements = new MeasurementQueries(database.db).page({ endpoint: 'dev-2' }, 10).measurements;
    expect(measurements.map((m) => [m.type, m.series, m.value, m.unit])).toEqual([
      ['c8y_Battery', 'level', 80, '%'],
      ['c8y_SignalStrength', 'rssi', -70, 'dBm'],
    ]);
    const properties = new DevicePropertyQueries(database.db);
    expect(properties.properties('dev-2').map((p) => [p.property, p.value])).toEqual([
      ['manufacturer', 'ACME'],
      ['serialNumber', 'SN-1'],
    ]);
    expect(properties.position('dev-2')).toMatchObject({ latitude: 48.1, longitude: 11.6, altitude: null });
    expect(new DeviceEventQueries(database.db).page({ endpoint: 'dev-2', type: 'c8y_LocationUpdate' }, 10).events).toHaveLength(1);
  });

  it('keeps versions apart: a new version is a new protocol version, and an identical re-upload changes nothing', async () => {
    await protocols.importDdf(temperature10Ddf, user);
    clock.advanceSeconds(3600);
    await protocols.importDdf(temperatureDdf, user);
    const again = await protocols.importDdf(temperatureDdf, user);
    expect(again).toMatchObject({ ok: true, protocols: [{ version: '1.1', created: false }], position: undefined });
    await settle();
    expect((await protocols.uploadedModels()).map((m) => `${m.id} ${m.version}`)).toEqual(['3303 1.0', '3303 1.1']);
    const summary = new DeviceProtocolQueries(database.db).summary(3303);
    expect(summary).toMatchObject({ latestVersion: '1.1', versions: ['1.0', '1.1'] });
    expect(summary?.createdAt).toEqual(new Date('2026-02-01T08:00:00Z'));
    expect(summary?.updatedAt).toEqual(new Date('2026-02-01T09:00:00Z'));
  });

  it('stores nothing from a malformed DDF, and returns where it is wrong', async () => {
    const before = await store.headPosition();
    const result = await protocols.importDdf(temperatureDdf.replace('<Type>Float</Type>', '<Type>Decimal</Type>'), user);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.errors[0]).toMatchObject({ code: 'unknown-type', resourceId: 5700 });
    expect(!result.ok && result.errors[0]?.line).toBeGreaterThan(40);
    expect(await store.headPosition()).toBe(before);
  });

  it('stores no object of a file when one of them conflicts with a stored version', async () => {
    await protocols.importDdf(temperatureDdf, user);
    const before = await store.headPosition();
    const other = objectElement(temperatureDdf).replace('<ObjectID>3303</ObjectID>', '<ObjectID>33030</ObjectID>');
    const changed = objectElement(temperatureDdf).replace('<Name>Sensor Value</Name>', '<Name>Changed</Name>');
    let caught: unknown;
    try {
      await protocols.importDdf(document(other, changed), user);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(DomainError);
    expect((caught as DomainError).code).toBe('CONFLICT');
    expect(await store.headPosition()).toBe(before);
  });

  it('refuses a functionality on a resource the protocol does not have, naming the path', async () => {
    await protocols.importDdf(temperatureDdf, user);
    await expect(
      protocols.setResourceFunctionality({ objectId: 3303, resourceId: 4242, functionality: { kind: 'sendEvent', type: 't', text: 'x' } }, user),
    ).rejects.toMatchObject({ code: 'BAD_USER_INPUT', details: { path: '/3303/4242' } });
    await expect(
      protocols.setResourceFunctionality({ objectId: 9999, resourceId: 1, functionality: { kind: 'sendEvent', type: 't', text: 'x' } }, user),
    ).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
  it('maps the next value with an upload or a functionality change made just before it (the kept protocol is read again)', async () => {
    const values = { endpoint: 'dev-3', values: [temperature(floatValue(21.5))] };
    // Read (and keep) the protocol of 3303 while it has no upload: nothing is mapped.
    expect((await telemetry.recordValues(values)).telemetry).toEqual([]);
    await protocols.importDdf(temperatureDdf, user);
    expect(await protocols.mappingFor(3303, '1.1')).toMatchObject({ version: '1.1' });
    expect((await telemetry.recordValues(values)).telemetry).toEqual([]);
    await protocols.setResourceFunctionality(
      { objectId: 3303, resourceId: 5700, functionality: { kind: 'sendMeasurement', type: 'c8y_TemperatureMeasurement', series: 'T', unit: 'Cel' } },
      user,
    );
    expect((await telemetry.recordValues(values)).telemetry.map((event) => event.type)).toEqual(['MeasurementCreated']);
    await protocols.removeResourceFunctionality({ objectId: 3303, resourceId: 5700, kind: 'sendMeasurement' }, user);
    expect((await telemetry.recordValues(values)).telemetry).toEqual([]);
  });

  it('sees a functionality change made through another service instance once its watch delivers it', async () => {
    await protocols.importDdf(temperatureDdf, user);
    const other = new DeviceProtocolService({ store, feed: feedOf(store), clock, logger: silentLogger() });
    expect((await other.mappingFor(3303, '1.1'))?.resources.size).toBe(0);
    await protocols.setResourceFunctionality({ objectId: 3303, resourceId: 5700, functionality: { kind: 'sendEvent', type: 'c8y_Temperature', text: 'measured' } }, user);
    const deadline = Date.now() + 2000;
    while ((await other.mappingFor(3303, '1.1'))?.resources.size === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
    expect([...((await other.mappingFor(3303, '1.1'))?.resources.keys() ?? [])]).toEqual([5700]);
  });

  it('counts a version staged by an import only once it is committed, and keeps what came after it meanwhile', async () => {
    await protocols.importDdf(temperatureDdf, user);
    // Version 1.0 staged on the stream by an import that has not committed (yet).
    const staged = await stagedVersionOf(temperature10Ddf);
    const appended = await store.appendToStream('protocol-3303', [{ type: 'DeviceProtocolVersionCreated', data: { ...staged, importId: 'late', staged: true } }], 'any');
    expect([...(await protocols.protocolState(3303)).versions.keys()]).toEqual(['1.1']);
    await protocols.setResourceFunctionality({ objectId: 3303, version: '1.1', resourceId: 5700, functionality: { kind: 'sendEvent', type: 't', text: 'x' } }, user);
    for (let read = 0; read < 2; read++) expect([...((await protocols.mappingFor(3303, '1.1'))?.resources.keys() ?? [])]).toEqual([5700]);
    await commitImport(store, 'DeviceProtocolImportCommitted', { importId: 'late', firstPosition: appended.position, lastPosition: appended.position, objectIds: [3303] } as ImportCommit, {});
    const deadline = Date.now() + 2000;
    while ((await protocols.protocolState(3303)).versions.size < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
    expect([...(await protocols.protocolState(3303)).versions.keys()].sort()).toEqual(['1.0', '1.1']);
    expect([...((await protocols.mappingFor(3303, '1.1'))?.resources.keys() ?? [])]).toEqual([5700]);
    await settle();
    expect(new DeviceProtocolQueries(database.db).summary(3303)).toMatchObject({ latestVersion: '1.1', versions: ['1.0', '1.1'] });
  });
});

/** The data of the version a DDF document creates, as another service (on a store of its own) stages it. */
async function stagedVersionOf(ddf: string): Promise<JsonObject> {
  const other = await SqliteEventStore.open(join(dir, 'other.sqlite'));
  try {
    await new DeviceProtocolService({ store: other, feed: feedOf(other), clock, logger: silentLogger() }).importDdf(ddf, user);
    const read = await other.readStream('protocol-3303');
    return read.status === 'found' ? (read.events[0]?.data as JsonObject) : {};
  } finally {
    await other.close();
  }
}
