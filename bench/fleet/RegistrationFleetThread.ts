/**
 * A registering fleet on a worker thread of its own, for the registration benchmarks that keep the
 * server in their main thread: the fleet's CPU time is then its thread's (`process.threadCpuUsage`),
 * and the server's is the process's less the fleet's, without a second process to start and feed.
 * The main thread's `--cpu-prof` profile holds the server alone.
 *
 * The devices share `sockets` UDP sockets and send confirmable Registers or Updates (built with our
 * codec), at most `window` in flight, retransmitting like a CoAP client (RFC 7252 section 4.2); each
 * is timed from its send to its ACK. A device's Update goes to the location its last Register got.
 *
 *   const fleet = await RegistrationFleetThread.start({ port, sockets: 32, window: 512 });
 *   const result = await fleet.run({ kind: 'register', devices: 1_000_000, requests: 50_000 });
 */
import { createSocket } from 'node:dgram';
import type { Socket } from 'node:dgram';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { OptionNumber, stringOption, stringOptions, uintOptionOf } from '../../src/adapters/coap/CoapMessage.ts';
import { decodeCoapMessage, encodeCoapMessage } from '../../src/adapters/coap/CoapMessageCodec.ts';

export interface RegistrationFleetOptions {
  /** The server's UDP port on 127.0.0.1. */
  readonly port: number;
  readonly sockets: number;
  readonly window: number;
}

export interface FleetPhaseRequest {
  readonly kind: 'register' | 'update';
  /** The fleet's size: device `i` of the phase is device `(i * stride) % devices`, spread over the whole fleet. */
  readonly devices: number;
  readonly requests: number;
}

export interface FleetPhaseResult {
  readonly done: number;
  readonly failed: number;
  readonly retransmissions: number;
  readonly seconds: number;
  /** This thread's CPU time (user + system) over the phase. */
  readonly fleetCpuMicros: number;
  readonly p50: number;
  readonly p99: number;
}

/** Endpoint names of the benchmarks' fleet (imported under these names). */
export const fleetEndpointName = (index: number): string => `urn:imei:35486900${String(index).padStart(7, '0')}`;

const links = new TextEncoder().encode('</>;rt="oma.lwm2m";ct=11543,</1/0>,</3/0>,</3303/0>');
const ackTimeoutMs = 2_000;
const maxRetransmit = 4;

export class RegistrationFleetThread {
  readonly #worker: Worker;

  private constructor(worker: Worker) {
    this.#worker = worker;
  }

  static async start(options: RegistrationFleetOptions): Promise<RegistrationFleetThread> {
    const worker = new Worker(new URL(import.meta.url), { workerData: options });
    await new Promise<void>((resolve, reject) => {
      worker.once('message', () => resolve());
      worker.once('error', reject);
    });
    return new RegistrationFleetThread(worker);
  }

  run(phase: FleetPhaseRequest): Promise<FleetPhaseResult> {
    return new Promise((resolve, reject) => {
      this.#worker.once('message', resolve);
      this.#worker.once('error', reject);
      this.#worker.postMessage(phase);
    });
  }

  async close(): Promise<void> {
    await this.#worker.terminate();
  }
}

/** A stride coprime with `devices`, so that a phase's devices are spread over the fleet and distinct. */
function strideFor(devices: number): number {
  const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
  let stride = Math.max(1, Math.floor(devices * 0.618));
  while (gcd(stride, devices) !== 1) stride++;
  return stride;
}

async function serveFleet(options: RegistrationFleetOptions): Promise<void> {
  const port = parentPort;
  if (port === null) return;
  const fleet: Socket[] = await Promise.all(
    Array.from({ length: options.sockets }, async () => {
      const socket = createSocket('udp4');
      await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
      socket.setRecvBufferSize(4 * 1024 * 1024);
      return socket;
    }),
  );
  /** Message ids go on across phases per socket: the server remembers (peer, id) for EXCHANGE_LIFETIME (RFC 7252 section 4.5). */
  const nextMessageId = new Array<number>(options.sockets).fill(0);
  const locations = new Map<number, string>();
  const register = (device: number, messageId: number): Uint8Array =>
    encodeCoapMessage({
      type: 'CON',
      code: '0.02',
      messageId,
      token: Uint8Array.of(device & 0xff, (device >> 8) & 0xff, (device >> 16) & 0xff),
      options: [
        stringOption(OptionNumber.UriPath, 'rd'),
        uintOptionOf(OptionNumber.ContentFormat, 40),
        stringOption(OptionNumber.UriQuery, `ep=${fleetEndpointName(device)}`),
        stringOption(OptionNumber.UriQuery, 'lt=300'),
        stringOption(OptionNumber.UriQuery, 'lwm2m=1.1'),
        stringOption(OptionNumber.UriQuery, 'b=U'),
      ],
      payload: links,
    });
  const update = (device: number, messageId: number): Uint8Array =>
    encodeCoapMessage({
      type: 'CON',
      code: '0.02',
      messageId,
      token: Uint8Array.of(device & 0xff, (device >> 8) & 0xff, (device >> 16) & 0xff),
      options: (locations.get(device) ?? 'rd/none').split('/').map((segment) => stringOption(OptionNumber.UriPath, segment)),
      payload: new Uint8Array(0),
    });
  const remember = (device: number, reply: Uint8Array): void => {
    const decoded = decodeCoapMessage(reply);
    if (decoded.ok) locations.set(device, stringOptions(decoded.message.options, OptionNumber.LocationPath).join('/'));
  };
  port.on('message', (phase: FleetPhaseRequest) => {
    void runPhase(phase).then((result) => port.postMessage(result));
  });
  port.postMessage('ready');

  async function runPhase(phase: FleetPhaseRequest): Promise<FleetPhaseResult> {
    const build = phase.kind === 'register' ? register : update;
    const stride = strideFor(phase.devices);
    const latencies: number[] = [];
    let next = 0;
    let done = 0;
    let failed = 0;
    let retransmissions = 0;
    const pending = new Map<number, { device: number; sentAt: number; timer: NodeJS.Timeout | undefined }>();
    const started = performance.now();
    const cpuBefore = process.threadCpuUsage();
    await new Promise<void>((resolve) => {
      const finishOne = (): void => {
        if (done + failed === phase.requests) resolve();
        else sendMore();
      };
      const sendMore = (): void => {
        while (pending.size < options.window && next < phase.requests) {
          const device = (next++ * stride) % phase.devices;
          const socketIndex = device % options.sockets;
          const messageId = (nextMessageId[socketIndex] = ((nextMessageId[socketIndex] ?? 0) + 1) & 0xffff);
          const key = socketIndex * 0x10000 + messageId;
          const bytes = build(device, messageId);
          const transmit = (attempt: number): NodeJS.Timeout => {
            fleet[socketIndex]?.send(bytes, options.port, '127.0.0.1');
            return setTimeout(() => {
              const entry = pending.get(key);
              if (!entry) return;
              if (attempt < maxRetransmit) {
                retransmissions++;
                entry.timer = transmit(attempt + 1);
                return;
              }
              pending.delete(key);
              failed++;
              finishOne();
            }, ackTimeoutMs * 2 ** attempt);
          };
          const entry: { device: number; sentAt: number; timer: NodeJS.Timeout | undefined } = { device, sentAt: performance.now(), timer: undefined };
          pending.set(key, entry);
          entry.timer = transmit(0);
        }
      };
      fleet.forEach((socket, socketIndex) => {
        socket.removeAllListeners('message');
        socket.on('message', (bytes) => {
          const decoded = decodeCoapMessage(bytes);
          if (!decoded.ok) return;
          const key = socketIndex * 0x10000 + decoded.message.messageId;
          const entry = pending.get(key);
          if (!entry) return;
          pending.delete(key);
          clearTimeout(entry.timer);
          if (decoded.message.code.startsWith('2.')) {
            latencies.push(performance.now() - entry.sentAt);
            done++;
            if (phase.kind === 'register') remember(entry.device, bytes);
          } else failed++;
          finishOne();
        });
      });
      sendMore();
    });
    const cpu = process.threadCpuUsage(cpuBefore);
    latencies.sort((a, b) => a - b);
    return {
      done,
      failed,
      retransmissions,
      seconds: (performance.now() - started) / 1000,
      fleetCpuMicros: cpu.user + cpu.system,
      p50: latencies[Math.floor(latencies.length / 2)] ?? 0,
      p99: latencies[Math.floor(latencies.length * 0.99)] ?? 0,
    };
  }
}

if (!isMainThread) await serveFleet(workerData as RegistrationFleetOptions);
