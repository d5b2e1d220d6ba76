/**
 * Notifications end to end over DTLS against plain UDP, in the same run and the same service.
 *
 *   node bench/dtls-notifications.bench.ts [devices]
 *
 * The real service (startService: SQLite event store in a temp dir, projector, LwM2M server on a plain
 * and a DTLS port) with PSK and NO_SEC devices imported from CSV. Each simulated device registers, the
 * service observes its /3/0/9 (an `observe` operation through the device management API), and the
 * device then sends non-confirmable notifications (RFC 7641 section 4.2), the next one as soon as the
 * service has projected the previous one as a reported value: "end to end" is from the device's socket
 * to the value in the resources read model, as a GraphQL subscriber would see it. `devices` (default
 * 64) devices per channel are in flight at once; after a warm-up, the channels take turns, in rounds. The DTLS devices use the test suite's minimal PSK
 * client (AES-128-CCM-8), so that the client's own record layer costs little; clients and service
 * share this process and its 2 cores. Bounded: about 30 s.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createSocket } from 'node:dgram';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { generate, parse } from 'coap-packet';
import type { ParsedPacket } from 'coap-packet';
import { parseCommandLine } from '../src/adapters/config/Config.ts';
import { DeviceImportService } from '../src/app/devices/DeviceImportService.ts';
import { readDeviceCsv } from '../src/adapters/csv/DeviceCsvReader.ts';
import { silentLogger } from '../src/adapters/logging/Logger.ts';
import { startService } from '../src/main.ts';
import { MinimalPskClient } from '../test/adapters/dtls/support/MinimalPskClient.ts';
import { CSV_HEADER } from '../test/support/BootstrapTestData.ts';

const DEVICES = Number(process.argv[2] ?? 64);
const SECONDS = 5;
const WARM_UP_SECONDS = 2;
const ROUNDS = 2;
const KEY = '0123456789abcdef';

interface DeviceLink {
  send(bytes: Buffer): void;
  onData(listener: (bytes: Buffer) => void): void;
  close(): Promise<void>;
}

const dir = mkdtempSync(join(tmpdir(), 'hub-dtls-notify-bench-'));
const { config } = parseCommandLine(
  ['--data-dir', dir, '--http-host', '127.0.0.1', '--http-port', '0', '--coap-host', '127.0.0.1', '--coap-port', '0', '--coaps-port', '0', '--bootstrap-port', '0', '--bootstrap-dtls-port', '0', '--public-host', '127.0.0.1'],
  {},
);
const service = await startService(config, {}, silentLogger());

const rows: string[] = [];
for (let i = 0; i < DEVICES; i++) {
  rows.push(`plain-${i};c8y_Serial;;plain-${i};c8y_lwm2m;0;1;plain-${i};;NO_SEC;;;;;;;;;;;;;;;;`);
  rows.push(`psk-${i};c8y_Serial;;psk-${i};c8y_lwm2m;0;1;psk-${i};coaps://127.0.0.1:5684;PSK;psk-id-${i};${Buffer.from(KEY).toString('hex')};psk-bs-${i};${Buffer.from(KEY).toString('hex')};;;;;;;;;;;;`);
}
const report = await new DeviceImportService({ readCsv: readDeviceCsv, store: service.store, sealer: service.sealer, logger: silentLogger() }).importDevices([CSV_HEADER, ...rows].join('\n') + '\n', { actor: 'bench', correlationId: 'bench' });
if (report.errors.length > 0) throw new Error(`import: ${JSON.stringify(report.errors.slice(0, 3))}`);

async function plainLink(port: number): Promise<DeviceLink> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return {
    send: (bytes) => socket.send(bytes, port, '127.0.0.1'),
    onData: (listener) => socket.on('message', listener),
    close: () => new Promise((resolve) => socket.close(() => resolve())),
  };
}

async function dtlsLink(port: number, identity: string): Promise<DeviceLink> {
  const client = await MinimalPskClient.connect(port, identity, KEY);
  return { send: (bytes) => client.send(bytes), onData: (listener) => client.onData(listener), close: () => client.close() };
}

const uint = (value: number): Buffer => {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32BE(value);
  let start = 0;
  while (start < 4 && bytes[start] === 0) start++;
  return bytes.subarray(start);
};

/** One simulated device: registers, answers the observe request, then notifies as fast as values are projected. */
class Device {
  readonly endpoint: string;
  readonly link: DeviceLink;
  notified = 0;
  #messageId = 1;
  #observeToken: Buffer | undefined;
  #sequence = 2;
  #registered: (() => void) | undefined;
  #observed: (() => void) | undefined;

  constructor(endpoint: string, link: DeviceLink) {
    this.endpoint = endpoint;
    this.link = link;
    link.onData((bytes) => this.#receive(parse(bytes)));
  }

  register(): Promise<void> {
    return new Promise((resolve) => {
      this.#registered = resolve;
      this.link.send(
        generate({
          messageId: this.#messageId++,
          token: Buffer.from([1]),
          code: 'POST',
          confirmable: true,
          options: [
            { name: 'Uri-Path', value: Buffer.from('rd') },
            { name: 'Content-Format', value: uint(40) },
            { name: 'Uri-Query', value: Buffer.from(`ep=${this.endpoint}`) },
            { name: 'Uri-Query', value: Buffer.from('lwm2m=1.1') },
            { name: 'Uri-Query', value: Buffer.from('lt=3600') },
          ],
          payload: Buffer.from('</3/0>'),
        }),
      );
    });
  }

  observed(): Promise<void> {
    return new Promise((resolve) => (this.#observed = resolve));
  }

  /** The next notification (RFC 7641 section 4.2: non-confirmable, the observation's token, a larger Observe). */
  notify(): void {
    if (this.#observeToken === undefined) return;
    this.notified++;
    this.link.send(
      generate({
        messageId: this.#messageId++ & 0xffff,
        token: this.#observeToken,
        code: '2.05',
        confirmable: false,
        options: [
          { name: 'Observe', value: uint(this.#sequence++) },
          { name: 'Content-Format', value: uint(0) },
        ],
        payload: Buffer.from(String(this.#sequence % 100)),
      }),
    );
  }

  #receive(message: ParsedPacket): void {
    if (message.code === '2.01') {
      // Piggybacked, or a separate response after an empty ACK that needs its own ACK (RFC 7252 section 5.2.2).
      if (message.confirmable) this.link.send(generate({ messageId: message.messageId, code: '0.00', ack: true }));
      this.#registered?.();
      return;
    }
    if (message.code === '0.01' && message.options.some((option) => option.name === 'Observe')) {
      this.#observeToken = message.token;
      this.link.send(
        generate({
          messageId: message.messageId,
          token: message.token,
          code: '2.05',
          ack: true,
          options: [
            { name: 'Observe', value: uint(1) },
            { name: 'Content-Format', value: uint(0) },
          ],
          payload: Buffer.from('50'),
        }),
      );
      this.#observed?.();
    }
  }
}

interface Channel {
  readonly label: string;
  readonly devices: readonly Device[];
  seen: number;
  counting: boolean;
}

/** Registers the devices and has the service observe each one's /3/0/9; each projected value triggers the next notification. */
async function prepare(label: string, devices: readonly Device[]): Promise<Channel> {
  for (const device of devices) await device.register();
  const channel: Channel = { label, devices, seen: 0, counting: false };
  const ready = devices.map(() => undefined as (() => void) | undefined);
  devices.forEach((device, index) =>
    service.deviceManagement.onResourceValues(device.endpoint, '/3/0/9', () => {
      ready[index]?.();
      if (!channel.counting) return;
      channel.seen++;
      device.notify();
    }),
  );
  await Promise.all(
    devices.map(async (device, index) => {
      const first = new Promise<void>((resolve) => (ready[index] = resolve));
      const observed = device.observed();
      await service.deviceManagement.requestOperation(device.endpoint, { kind: 'observe', paths: ['/3/0/9'], content: null }, 'system:bench', 'bench');
      await observed;
      await first;
    }),
  );
  return channel;
}

interface Round {
  readonly perSecond: number;
  readonly cpuMicros: number;
}

async function run(channel: Channel, seconds: number): Promise<Round> {
  channel.seen = 0;
  channel.counting = true;
  const start = performance.now();
  const cpuStart = process.cpuUsage();
  for (const device of channel.devices) device.notify();
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  channel.counting = false;
  const elapsed = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpuStart);
  // Let the notifications in flight land before the other channel's round.
  await new Promise((resolve) => setTimeout(resolve, 300));
  process.stderr.write(`${channel.label}: ${channel.seen} projected in ${elapsed.toFixed(1)} s\n`);
  return { perSecond: channel.seen / elapsed, cpuMicros: (cpu.user + cpu.system) / Math.max(1, channel.seen) };
}

const plainDevices: Device[] = [];
const dtlsDevices: Device[] = [];
for (let i = 0; i < DEVICES; i++) {
  plainDevices.push(new Device(`plain-${i}`, await plainLink(service.coap.local.port)));
  dtlsDevices.push(new Device(`psk-${i}`, await dtlsLink(service.secure.lwm2m.local.port, `psk-id-${i}`)));
}

const plain = await prepare('plain UDP (NO_SEC devices)', plainDevices);
const secure = await prepare('DTLS 1.2 PSK, AES-128-CCM-8 (PSK devices)', dtlsDevices);
// Warm-up (JIT, SQLite page cache), then alternating rounds, so that neither channel gets the better machine.
await run(plain, WARM_UP_SECONDS);
await run(secure, WARM_UP_SECONDS);
const rounds = new Map<Channel, Round[]>([
  [plain, []],
  [secure, []],
]);
for (let round = 0; round < ROUNDS; round++) {
  for (const channel of [plain, secure]) rounds.get(channel)?.push(await run(channel, SECONDS));
}

const cpu = cpus()[0]?.model ?? 'unknown CPU';
process.stdout.write(`\nNotifications end to end (device socket -> resources read model), ${DEVICES} devices per channel, ${ROUNDS} rounds of ${SECONDS} s each after ${WARM_UP_SECONDS} s of warm-up; ${cpus().length} cores, ${cpu}, Node ${process.version}\n\n`);
process.stdout.write('| channel | notifications/s (best of rounds) | each round | CPU per notification (best) |\n|---|---|---|---|\n');
const figures = (channel: Channel): Round[] => rounds.get(channel) ?? [];
for (const channel of [plain, secure]) {
  const each = figures(channel);
  const best = Math.max(...each.map((round) => round.perSecond));
  const cpuBest = Math.min(...each.map((round) => round.cpuMicros));
  process.stdout.write(`| ${channel.label} | ${Math.round(best).toLocaleString('en-US')} | ${each.map((round) => Math.round(round.perSecond).toLocaleString('en-US')).join(', ')} | ${cpuBest.toFixed(0)} µs |\n`);
}
const ratio = Math.max(...figures(secure).map((round) => round.perSecond)) / Math.max(...figures(plain).map((round) => round.perSecond));
process.stdout.write(`\nDTLS / plain (best rounds): ${ratio.toFixed(2)}\n`);

for (const device of [...plainDevices, ...dtlsDevices]) await device.link.close();
await service.close();
rmSync(dir, { recursive: true, force: true });
