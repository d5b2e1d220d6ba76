/**
 * Notifications benchmark, end to end: CoAP in, event stored, projection committed and its listener
 * told (where the GraphQL subscription `resourceValues` hears of it).
 *
 *   node bench/notifications.bench.ts [devices] [seconds per rate]
 *
 * The server is the production path: DatagramCoapEndpoint -> ObservationManager (token lookup,
 * decoding) -> ResourceValueRecorder (append `ResourceValuesReported`, then the telemetry mapping with
 * the device protocol lookup) -> event store -> Projector (all read models, `resources` among them) ->
 * `DeviceManagementApi.onResourceValues` listener. Devices are UDP sockets in this process: each
 * registers, is observed on /3303/0/5700 through a queued Observe operation, then sends
 * non-confirmable notifications (RFC 7641, text/plain) at an offered rate, spread evenly across the
 * devices. Each notification's value is its sequence number, so the listener finds its send time:
 * latency is send to listener. The fleet's CPU use counts against the server's figure.
 * Target (2 cores): 20,000 notifications per second with p99 under 50 ms.
 */
import { createSocket } from 'node:dgram';
import type { Socket } from 'node:dgram';
import { cpus, tmpdir } from 'node:os';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { AggregateCommandRunner } from '../src/app/kernel/AggregateCommandRunner.ts';
import { LogFeed } from '../src/app/kernel/LogFeed.ts';
import { MemoryEventStore } from '../src/adapters/eventstore/MemoryEventStore.ts';
import { SqliteEventStore } from '../src/adapters/eventstore/SqliteEventStore.ts';
import type { EventStore } from '../src/adapters/eventstore/EventStore.ts';
import { openUdpCoapEndpoint } from '../src/adapters/coap/DatagramCoapEndpoint.ts';
import { RegistrationService } from '../src/app/registration/RegistrationService.ts';
import { EventStoreDeviceDirectory } from '../src/app/devices/DeviceDirectory.ts';
import { OptionNumber, stringOption, uintOptionOf } from '../src/adapters/coap/CoapMessage.ts';
import { decodeCoapMessage, encodeCoapMessage } from '../src/adapters/coap/CoapMessageCodec.ts';
import { silentLogger } from '../src/adapters/logging/Logger.ts';
import { CoapRouter } from '../src/adapters/coap/CoapRouter.ts';
import { startDeviceManagement } from '../src/app/operations/DeviceManagement.ts';
import { DeviceManagementApi } from '../src/app/operations/DeviceManagementApi.ts';
import { TelemetryService } from '../src/app/telemetry/TelemetryService.ts';
import { DeviceProtocolService } from '../src/app/protocols/DeviceProtocolService.ts';
import { systemClock } from '../src/domain/Clock.ts';
import { deviceStream } from '../src/domain/devices/DeviceEvents.ts';
import type { DeviceRegistrationImported } from '../src/domain/devices/DeviceEvents.ts';
import type { JsonValue } from '../src/domain/Json.ts';
import { coreObjectCatalog } from '../src/domain/lwm2m/StaticObjectModelCatalog.ts';
import { Projector } from '../src/projections/Projector.ts';
import { ReadModelDatabase } from '../src/projections/ReadModelDatabase.ts';
import { readModelProjections } from '../src/projections/ReadModels.ts';
import { testDeviceData } from '../test/support/TestDevices.ts';

const deviceCount = Number(process.argv[2] ?? 200);
const secondsPerRate = Number(process.argv[3] ?? 4);
const rates = [5_000, 10_000, 20_000];
const tickMs = 5;
const links = new TextEncoder().encode('</>;rt="oma.lwm2m";ct="110 0",</3/0>,</3303/0>');

interface Device {
  readonly index: number;
  readonly endpoint: string;
  readonly socket: Socket;
  token: Uint8Array | undefined;
  messageId: number;
  observeSeq: number;
}

interface RateResult {
  readonly store: string;
  readonly offered: number;
  readonly sent: number;
  readonly received: number;
  readonly perSecond: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

async function openDevice(index: number, serverPort: number): Promise<Device> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const device: Device = { index, endpoint: `bench-notify-${index}`, socket, token: undefined, messageId: index * 7, observeSeq: 1 };
  socket.on('message', (bytes) => {
    const decoded = decodeCoapMessage(bytes);
    if (!decoded.ok) return;
    const message = decoded.message;
    // The server's Observe GET: answer 2.05 piggybacked, with Observe and the current value.
    if (message.code === '0.01') {
      device.token = message.token;
      socket.send(
        encodeCoapMessage({
          type: 'ACK',
          code: '2.05',
          messageId: message.messageId,
          token: message.token,
          options: [uintOptionOf(OptionNumber.Observe, device.observeSeq++), uintOptionOf(OptionNumber.ContentFormat, 0)],
          payload: new TextEncoder().encode('21.5'),
        }),
        serverPort,
        '127.0.0.1',
      );
    }
  });
  return device;
}

function request(device: Device, serverPort: number, build: (messageId: number) => Uint8Array): Promise<string> {
  return new Promise((resolve, reject) => {
    const messageId = (device.messageId = (device.messageId + 1) & 0xffff);
    const onMessage = (bytes: Buffer): void => {
      const decoded = decodeCoapMessage(bytes);
      if (!decoded.ok || decoded.message.messageId !== messageId || decoded.message.type !== 'ACK') return;
      device.socket.off('message', onMessage);
      clearTimeout(timer);
      resolve(decoded.message.code);
    };
    const timer = setTimeout(() => reject(new Error(`no answer to ${device.endpoint}`)), 5_000);
    device.socket.on('message', onMessage);
    device.socket.send(build(messageId), serverPort, '127.0.0.1');
  });
}

async function run(storeName: string, store: EventStore, dir: string, report: (row: RateResult) => void): Promise<void> {
  const logger = silentLogger();
  for (let index = 0; index < deviceCount; index++) {
    const endpoint = `bench-notify-${index}`;
    const data: DeviceRegistrationImported = { registration: testDeviceData(endpoint), importId: 'bench', line: index + 2 };
    await store.appendToStream(deviceStream(endpoint), [{ type: 'DeviceRegistrationImported', data: data as unknown as JsonValue }], 'no_stream');
  }
  const database = ReadModelDatabase.open(join(dir, storeName));
  const feed = new LogFeed({ store });
  const projector = new Projector({ store, feed, database, projections: readModelProjections, logger });
  projector.start();
  const registrations = await RegistrationService.start({ store, feed, directory: new EventStoreDeviceDirectory(store), clock: systemClock, logger, expirySweepMs: 0 });
  const coap = await openUdpCoapEndpoint({ host: '127.0.0.1', port: 0, logger });
  const uplink = new CoapRouter(registrations.handler('plain'));
  const management = await startDeviceManagement({
    store,
    runner: new AggregateCommandRunner({ store }),
    feed,
    endpoint: coap,
    registrations,
    catalog: coreObjectCatalog(),
    clock: systemClock,
    logger,
    // The protocols follow the process's log feed, as main.ts wires them: built alone, the service would
    // open a feed of its own, a second reader of every notification's event.
    telemetry: new TelemetryService({ store, protocols: new DeviceProtocolService({ store, feed, clock: systemClock, logger }), clock: systemClock }),
  });
  uplink.route('dp', management.send);
  coap.handleUnsolicited(management.observations.onUnsolicited);
  coap.handle(uplink.handle);
  const api = DeviceManagementApi.over(management, database.db, projector);
  const port = coap.local.port;
  const devices = await Promise.all(Array.from({ length: deviceCount }, (_, index) => openDevice(index, port)));
  for (const device of devices) {
    const code = await request(device, port, (messageId) =>
      encodeCoapMessage({
        type: 'CON',
        code: '0.02',
        messageId,
        token: Uint8Array.of(1),
        options: [
          stringOption(OptionNumber.UriPath, 'rd'),
          uintOptionOf(OptionNumber.ContentFormat, 40),
          stringOption(OptionNumber.UriQuery, `ep=${device.endpoint}`),
          stringOption(OptionNumber.UriQuery, 'lt=3600'),
          stringOption(OptionNumber.UriQuery, 'lwm2m=1.1'),
          stringOption(OptionNumber.UriQuery, 'b=U'),
        ],
        payload: links,
      }),
    );
    if (code !== '2.01') throw new Error(`${device.endpoint} registration answered ${code}`);
    await api.requestOperation(device.endpoint, { kind: 'observe', paths: ['/3303/0/5700'], content: null }, 'system:bench', 'bench');
  }
  while (management.observations.activeCount < deviceCount) await new Promise((resolve) => setTimeout(resolve, 20));

  const sentAt: number[] = [];
  const latencies: number[] = [];
  let lastReceived = 0;
  const unsubscribes = devices.map((device) =>
    api.onResourceValues(device.endpoint, '/3303/0/5700', (values) => {
      const now = performance.now();
      for (const value of values) {
        const sequence = Number(value.text);
        const sent = sentAt[sequence];
        if (sent !== undefined && value.source === 'notification') {
          latencies.push(now - sent);
          lastReceived = now;
        }
      }
    }),
  );
  let sequence = 1_000_000;
  for (const rate of rates) {
    latencies.length = 0;
    const first = sequence;
    const perTick = (rate * tickMs) / 1000;
    const started = performance.now();
    let owed = 0;
    let next = 0;
    await new Promise<void>((resolve) => {
      const tick = setInterval(() => {
        const elapsed = performance.now() - started;
        if (elapsed >= secondsPerRate * 1000) {
          clearInterval(tick);
          resolve();
          return;
        }
        // Catch up on ticks the event loop delayed, so the offered rate holds.
        owed = (elapsed / tickMs + 1) * perTick - (sequence - first);
        for (let i = 0; i < owed; i++) {
          const device = devices[next++ % devices.length];
          if (!device?.token) continue;
          const value = sequence++;
          device.messageId = (device.messageId + 1) & 0xffff;
          sentAt[value] = performance.now();
          device.socket.send(
            encodeCoapMessage({
              type: 'NON',
              code: '2.05',
              messageId: device.messageId,
              token: device.token,
              options: [uintOptionOf(OptionNumber.Observe, device.observeSeq++ & 0xffffff), uintOptionOf(OptionNumber.ContentFormat, 0)],
              payload: new TextEncoder().encode(String(value)),
            }),
            port,
            '127.0.0.1',
          );
        }
      }, tickMs);
    });
    const sent = sequence - first;
    // Let the pipeline drain (bounded).
    const drainUntil = performance.now() + 15_000;
    while (latencies.length < sent && performance.now() < drainUntil) await new Promise((resolve) => setTimeout(resolve, 50));
    const sorted = [...latencies].sort((a, b) => a - b);
    const seconds = (lastReceived - started) / 1000;
    report({
      store: storeName,
      offered: rate,
      sent,
      received: sorted.length,
      perSecond: sorted.length / Math.max(seconds, secondsPerRate),
      p50: sorted[Math.floor(sorted.length / 2)] ?? 0,
      p99: sorted[Math.floor(sorted.length * 0.99)] ?? 0,
      max: sorted.at(-1) ?? 0,
    });
  }
  for (const unsubscribe of unsubscribes) unsubscribe();
  for (const device of devices) device.socket.close();
  await management.close();
  await coap.close();
  await registrations.close();
  await projector.close();
  await feed.close();
  database.close();
}

function printRow(row: RateResult): void {
  process.stdout.write(`| ${row.store} | ${row.offered} | ${row.sent} | ${row.received} | ${Math.round(row.perSecond)} | ${row.p50.toFixed(1)} | ${row.p99.toFixed(1)} | ${row.max.toFixed(1)} |\n`);
}

process.stdout.write(`Notifications benchmark: ${deviceCount} devices, ${secondsPerRate} s per offered rate; ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), Node ${process.version}\n\n`);
process.stdout.write('| store | offered /s | sent | received | received /s | p50 ms | p99 ms | max ms |\n|---|---:|---:|---:|---:|---:|---:|---:|\n');
const dir = mkdtempSync(join(tmpdir(), 'lwm2m-hub-bench-notifications-'));
try {
  await run('memory', new MemoryEventStore(), dir, printRow);
  const sqlite = await SqliteEventStore.open(join(dir, 'events.sqlite'));
  await run('sqlite', sqlite, dir, printRow);
  await sqlite.close();
  process.stdout.write('\nTarget: 20,000 notifications per second end to end with p99 under 50 ms, on 2 cores.\n');
} finally {
  rmSync(dir, { recursive: true, force: true });
}
