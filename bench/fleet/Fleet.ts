/**
 * The simulated fleet: N LwM2M devices in this process that register (LwM2M Transport 1.1 section
 * 6.2.1: a confirmable POST /rd with the object links), renew with Updates, answer the server's reads,
 * accept its observations and notify at a total rate spread over every active observation, then
 * report what they saw. It depends on nothing of the server but the protocol, so it runs against any
 * LwM2M server; the GraphQL subscriber is the only lwm2m-hub-specific part, and optional.
 */
import type { CoapOption } from '../../src/adapters/coap/CoapMessage.ts';
import { OptionNumber, stringOption, uintOptionOf } from '../../src/adapters/coap/CoapMessage.ts';
import { openDtlsChannel, openUdpChannel } from './DatagramChannels.ts';
import type { ServerAddress } from './DatagramChannels.ts';
import { DevicePort } from './DevicePort.ts';
import type { DatagramChannel, Observation, PortEvents } from './DevicePort.ts';
import { endpointName, lwm2mPsk } from './FleetCredentials.ts';
import { LatencySample } from './LatencySample.ts';
import type { LatencySummary } from './LatencySample.ts';
import { ResourceValueSubscriber } from './ResourceValueSubscriber.ts';
import { SimulatedObjects } from './SimulatedObjects.ts';

export interface FleetOptions {
  readonly server: ServerAddress & { readonly secure: boolean };
  readonly devices: number;
  readonly prefix: string;
  /** Devices share this many UDP sockets (plain CoAP only); undefined: a socket per device. */
  readonly sockets: number | undefined;
  readonly lifetime: number;
  /** Seconds between a device's Updates; undefined: none. */
  readonly updateInterval: number | undefined;
  /** Notifications per second, over the whole fleet. */
  readonly rate: number;
  /** Only this many observations notify (the rest stay observed and silent); undefined: every one. */
  readonly notifying: number | undefined;
  readonly confirmable: boolean;
  /** Queue mode (binding UQ): a device answers only this long after it last sent; undefined: always. */
  readonly awakeMs: number | undefined;
  readonly duration: number;
  /** Registrations in flight at once. */
  readonly concurrency: number;
  readonly observeWait: number;
  readonly drain: number;
  readonly lwm2mVersion: string;
  readonly pskSeed: string;
  readonly graphql: { readonly url: string; readonly token: string } | undefined;
}

export interface FleetReport {
  readonly server: string;
  readonly devices: number;
  readonly sockets: number;
  readonly transport: 'udp' | 'dtls';
  readonly handshakes?: { readonly done: number; readonly failed: number; readonly latencyMs: LatencySummary };
  readonly registrations: {
    readonly done: number;
    readonly failed: number;
    readonly retransmissions: number;
    readonly seconds: number;
    readonly perSecond: number;
    readonly latencyMs: LatencySummary;
    readonly firstFailure: string | undefined;
  };
  readonly updates: { readonly done: number; readonly failed: number; readonly reregistered: number };
  readonly requests: { readonly reads: number; readonly observes: number; readonly cancels: number; readonly other: number; readonly droppedAsleep: number };
  /** Observations active at the end, and established over the run (a new token each; an observe repeated on a token counts once). */
  readonly observations: { readonly active: number; readonly established: number; readonly waitedSeconds: number };
  readonly notifications: {
    readonly confirmable: boolean;
    readonly offeredPerSecond: number;
    readonly seconds: number;
    readonly sent: number;
    readonly sentPerSecond: number;
    readonly acknowledged: number;
    readonly reset: number;
    readonly timedOut: number;
    /** Send to the server's ACK, confirmable notifications only. */
    readonly ackLatencyMs: LatencySummary;
  };
  readonly subscriber?: { readonly received: number; readonly perSecond: number; readonly lost: number; readonly errors: number; readonly firstError: string | undefined; readonly latencyMs: LatencySummary };
  /** This process's CPU time (user + system), so that a reader sees what the fleet itself cost. */
  readonly fleetCpuSeconds: number;
}

export type FleetPhase = 'registering' | 'registered' | 'observed' | 'notifying' | 'draining' | 'done';

/** The notification scheduler's period: short enough for an even rate, long enough for a cheap timer. */
const TICK_MS = 5;
const RETRANSMIT_SWEEP_MS = 100;
const HANDSHAKE_TIMEOUT_MS = 10_000;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

interface Device {
  readonly endpoint: string;
  readonly port: DevicePort;
  location: readonly string[] | undefined;
}

export class Fleet {
  readonly #options: FleetOptions;
  readonly #objects: SimulatedObjects;
  readonly #ports: DevicePort[] = [];
  readonly #devices: Device[] = [];
  /** Active observations, in no order; each knows its slot for O(1) removal. */
  readonly #active: Observation[] = [];
  readonly #registrationLatency = new LatencySample();
  readonly #handshakeLatency = new LatencySample();
  readonly #ackLatency = new LatencySample();
  readonly #subscriberLatency = new LatencySample();
  readonly #updateTimers: NodeJS.Timeout[] = [];
  /** performance.now() of each notification by its sequence number (the value it carried). */
  #sentAt = new Float64Array(1024);
  #sequence = 0;
  /** performance.now() when the subscriber last heard a value. */
  #lastHeard = 0;
  #firstFailure: string | undefined;
  readonly #counts = {
    handshakes: 0,
    handshakeFailures: 0,
    registrations: 0,
    registrationFailures: 0,
    retransmissions: 0,
    updates: 0,
    updateFailures: 0,
    reregistered: 0,
    reads: 0,
    observes: 0,
    observations: 0,
    cancels: 0,
    otherRequests: 0,
    droppedAsleep: 0,
    acknowledged: 0,
    reset: 0,
    timedOut: 0,
  };

  constructor(options: FleetOptions) {
    this.#options = options;
    this.#objects = new SimulatedObjects('fleet', options.lifetime, this.#binding);
  }

  get #binding(): string {
    return this.#options.awakeMs === undefined ? 'U' : 'UQ';
  }

  async run(progress: (phase: FleetPhase) => void): Promise<FleetReport> {
    const options = this.#options;
    const cpuBefore = process.cpuUsage();
    const sweep = setInterval(() => {
      const now = performance.now();
      for (const port of this.#ports) if (port.pendingCount > 0) port.retransmitDue(now);
    }, RETRANSMIT_SWEEP_MS);
    let subscriber: ResourceValueSubscriber | undefined;
    try {
      progress('registering');
      const registrationStarted = performance.now();
      await this.#registerAll();
      const registrationSeconds = (performance.now() - registrationStarted) / 1000;
      progress('registered');

      let waitedSeconds = 0;
      if (options.rate > 0) {
        const waitStarted = performance.now();
        while (this.#active.length < this.#counts.registrations && performance.now() - waitStarted < options.observeWait * 1000) await sleep(20);
        waitedSeconds = (performance.now() - waitStarted) / 1000;
        progress('observed');
        if (options.graphql !== undefined) {
          const endpoints = this.#devices.filter((device) => device.location !== undefined).map((device) => device.endpoint);
          subscriber = await ResourceValueSubscriber.start(options.graphql.url, options.graphql.token, endpoints, (value) => this.#heard(value));
        }
      }

      progress('notifying');
      const notifyStarted = performance.now();
      if (options.rate > 0) await this.#notifyFor(options.duration * 1000);
      else await sleep(options.duration * 1000);
      const notifySeconds = (performance.now() - notifyStarted) / 1000;

      progress('draining');
      const drainUntil = performance.now() + options.drain * 1000;
      const sent = this.#sequence;
      while (performance.now() < drainUntil && (this.#ports.some((port) => port.pendingCount > 0) || (subscriber !== undefined && this.#subscriberLatency.count < sent))) await sleep(20);

      const subscriberErrors = subscriber?.errors;
      const report: FleetReport = {
        server: `${options.server.secure ? 'coaps' : 'coap'}://${options.server.host}:${options.server.port}`,
        devices: options.devices,
        sockets: this.#ports.length,
        transport: options.server.secure ? 'dtls' : 'udp',
        ...(options.server.secure ? { handshakes: { done: this.#counts.handshakes, failed: this.#counts.handshakeFailures, latencyMs: this.#handshakeLatency.summary() } } : {}),
        registrations: {
          done: this.#counts.registrations,
          failed: this.#counts.registrationFailures,
          retransmissions: this.#counts.retransmissions,
          seconds: round(registrationSeconds),
          perSecond: Math.round(this.#counts.registrations / registrationSeconds),
          latencyMs: this.#registrationLatency.summary(),
          firstFailure: this.#firstFailure,
        },
        updates: { done: this.#counts.updates, failed: this.#counts.updateFailures, reregistered: this.#counts.reregistered },
        requests: { reads: this.#counts.reads, observes: this.#counts.observes, cancels: this.#counts.cancels, other: this.#counts.otherRequests, droppedAsleep: this.#counts.droppedAsleep },
        observations: { active: this.#active.length, established: this.#counts.observations, waitedSeconds: round(waitedSeconds) },
        notifications: {
          confirmable: options.confirmable,
          offeredPerSecond: options.rate,
          seconds: round(notifySeconds),
          sent,
          sentPerSecond: Math.round(sent / notifySeconds),
          acknowledged: this.#counts.acknowledged,
          reset: this.#counts.reset,
          timedOut: this.#counts.timedOut,
          ackLatencyMs: this.#ackLatency.summary(),
        },
        ...(subscriber !== undefined && subscriberErrors !== undefined
          ? {
              subscriber: {
                received: this.#subscriberLatency.count,
                // Over the notifying time, or until the last value when the server fell behind.
                perSecond: Math.round(this.#subscriberLatency.count / Math.max(notifySeconds, (this.#lastHeard - notifyStarted) / 1000)),
                lost: Math.max(0, sent - this.#subscriberLatency.count),
                errors: subscriberErrors.count,
                firstError: subscriberErrors.first,
                latencyMs: this.#subscriberLatency.summary(),
              },
            }
          : {}),
        fleetCpuSeconds: round(cpuSecondsSince(cpuBefore)),
      };
      progress('done');
      return report;
    } finally {
      clearInterval(sweep);
      for (const timer of this.#updateTimers) clearInterval(timer);
      await subscriber?.close();
      await Promise.all(this.#ports.map((port) => port.close()));
    }
  }

  async #registerAll(): Promise<void> {
    const options = this.#options;
    if (options.sockets !== undefined) {
      for (let index = 0; index < options.sockets; index++) this.#ports.push(await this.#openPort(undefined, index));
    }
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < options.devices) {
        const index = next++;
        const endpoint = endpointName(options.prefix, index);
        let port: DevicePort;
        if (options.sockets !== undefined) port = this.#ports[index % options.sockets] as DevicePort;
        else {
          const opened = await this.#openPort(endpoint, index).catch((error: unknown) => this.#failed(endpoint, error));
          if (opened === undefined) continue;
          port = opened;
          this.#ports.push(port);
        }
        const device: Device = { endpoint, port, location: undefined };
        this.#devices.push(device);
        await this.#register(device);
        if (device.location !== undefined && options.updateInterval !== undefined) this.#scheduleUpdates(device, options.updateInterval);
      }
    };
    await Promise.all(Array.from({ length: Math.min(options.concurrency, options.devices) }, worker));
  }

  async #openPort(endpoint: string | undefined, index: number): Promise<DevicePort> {
    const options = this.#options;
    const events = this.#portEvents();
    // Datagrams can only arrive once the channel is open, and the port needs the channel: a holder joins them.
    const holder: { port?: DevicePort } = {};
    const receive = (bytes: Uint8Array): void => holder.port?.receive(bytes);
    let channel: DatagramChannel;
    if (options.server.secure && endpoint !== undefined) {
      const psk = lwm2mPsk(options.pskSeed, endpoint);
      const started = performance.now();
      try {
        channel = await openDtlsChannel(options.server, psk.identity, psk.key, HANDSHAKE_TIMEOUT_MS, receive);
      } catch (error) {
        this.#counts.handshakeFailures++;
        throw error;
      }
      this.#counts.handshakes++;
      this.#handshakeLatency.add(performance.now() - started);
    } else channel = await openUdpChannel(options.server, receive);
    // Spread the ports' first message ids, so that two ports never start on the same one.
    holder.port = new DevicePort(channel, this.#objects, events, options.awakeMs, index * 7919);
    return holder.port;
  }

  #portEvents(): PortEvents {
    return {
      observed: (observation) => {
        this.#counts.observations++;
        observation.slot = this.#active.length;
        this.#active.push(observation);
      },
      cancelled: (observation) => {
        const last = this.#active.pop();
        if (last !== undefined && last !== observation) {
          last.slot = observation.slot;
          this.#active[observation.slot] = last;
        }
        observation.slot = -1;
      },
      notificationAnswered: (sentAt, reset) => {
        if (reset) this.#counts.reset++;
        else {
          this.#counts.acknowledged++;
          this.#ackLatency.add(performance.now() - sentAt);
        }
      },
      notificationTimedOut: () => this.#counts.timedOut++,
      requestWhileAsleep: () => this.#counts.droppedAsleep++,
      requestServed: (kind) => {
        if (kind === 'read') this.#counts.reads++;
        else if (kind === 'observe') this.#counts.observes++;
        else if (kind === 'cancel') this.#counts.cancels++;
        else this.#counts.otherRequests++;
      },
    };
  }

  async #register(device: Device): Promise<void> {
    const options = this.#options;
    const query = [`ep=${device.endpoint}`, `lt=${options.lifetime}`, `lwm2m=${options.lwm2mVersion}`, `b=${this.#binding}`];
    const requestOptions: CoapOption[] = [
      stringOption(OptionNumber.UriPath, 'rd'),
      // application/link-format (RFC 6690), LwM2M Transport 1.1 section 6.2.1.
      uintOptionOf(OptionNumber.ContentFormat, 40),
      ...query.map((item) => stringOption(OptionNumber.UriQuery, item)),
    ];
    const links = new TextEncoder().encode('</>;rt="oma.lwm2m";ct=110,</1/0>,</3/0>,</3303/0>');
    const started = performance.now();
    const outcome = await device.port.request('0.02', requestOptions, links);
    if (outcome === undefined || outcome.code !== '2.01') {
      this.#counts.registrationFailures++;
      this.#firstFailure ??= `${device.endpoint}: ${outcome === undefined ? 'no answer after every retransmission' : `answered ${outcome.code}`}`;
      return;
    }
    this.#counts.registrations++;
    this.#counts.retransmissions += outcome.retransmissions;
    this.#registrationLatency.add(performance.now() - started);
    device.location = outcome.locationPath;
  }

  #scheduleUpdates(device: Device, intervalSeconds: number): void {
    // Spread the fleet's Updates over the interval, rather than all at once.
    const start = setTimeout(() => {
      void this.#update(device);
      this.#updateTimers.push(setInterval(() => void this.#update(device), intervalSeconds * 1000));
    }, Math.random() * intervalSeconds * 1000);
    this.#updateTimers.push(start);
  }

  async #update(device: Device): Promise<void> {
    if (device.location === undefined) return;
    // LwM2M Transport 1.1 section 6.2.2: an Update without parameters renews the lifetime.
    const outcome = await device.port.request('0.02', device.location.map((segment) => stringOption(OptionNumber.UriPath, segment)), new Uint8Array(0));
    if (outcome?.code === '2.04') {
      this.#counts.updates++;
      return;
    }
    this.#counts.updateFailures++;
    // LwM2M Transport 1.1 section 6.2.2: a 4.04 to an Update means the server forgot us; register again.
    if (outcome?.code === '4.04') {
      this.#counts.reregistered++;
      await this.#register(device);
    }
  }

  /** Sends `rate` notifications per second for `ms`, round robin over the active observations; catches up on ticks the event loop delayed. */
  async #notifyFor(ms: number): Promise<void> {
    const { rate, confirmable, notifying } = this.#options;
    const started = performance.now();
    const first = this.#sequence;
    let next = 0;
    while (performance.now() - started < ms) {
      const elapsed = performance.now() - started;
      const owed = Math.floor((elapsed * rate) / 1000) - (this.#sequence - first);
      for (let i = 0; i < owed && this.#active.length > 0; i++) {
        const observation = this.#active[next++ % Math.min(this.#active.length, notifying ?? Infinity)] as Observation;
        const sequence = ++this.#sequence;
        const now = performance.now();
        if (sequence >= this.#sentAt.length) {
          const grown = new Float64Array(this.#sentAt.length * 2);
          grown.set(this.#sentAt);
          this.#sentAt = grown;
        }
        this.#sentAt[sequence] = now;
        const content = this.#objects.read(observation.path, observation.accept, sequence);
        if (content.kind === 'content') observation.port.notify(observation, content.payload, content.contentFormat, confirmable, now);
      }
      await sleep(TICK_MS);
    }
  }

  #heard(value: number): void {
    if (!Number.isInteger(value) || value <= 0 || value > this.#sequence) return;
    this.#lastHeard = performance.now();
    this.#subscriberLatency.add(this.#lastHeard - (this.#sentAt[value] ?? 0));
  }

  #failed(endpoint: string, error: unknown): undefined {
    this.#counts.registrationFailures++;
    this.#firstFailure ??= `${endpoint}: ${error instanceof Error ? error.message : String(error)}`;
    return undefined;
  }
}

function cpuSecondsSince(before: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1e6;
}

const round = (value: number): number => Math.round(value * 100) / 100;
