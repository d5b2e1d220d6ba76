/**
 * Registration expiry benchmark: the CPU of one expiry tick (each second, every node) at a given fleet
 * size, looking only at the due deadlines (CurrentRegistrations.takeExpired) beside the yardstick of
 * a walk over every registration comparing its deadline, as the expiry did before, in the same run:
 *
 *   node bench/registration-expiry.bench.ts [--fleet-sizes 100000,1000000] [--lifetime 300]
 *
 * The view is fed registration events as the log would feed it, on fake time (no sockets, no store):
 * devices registered over the last half lifetime, each sending an Update every half lifetime (LwM2M
 * Core 1.1 section 6.2: the lifetime runs from the last Register or Update), but one in ten that
 * never updates and expires (a RegistrationExpired applied for each taken). Ticks run one a second
 * of fake time for a lifetime plus the grace, so that every lapsed one falls due.
 */
import { execSync } from 'node:child_process';
import { cpus } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { RecordedEvent } from '../src/adapters/eventstore/EventStore.ts';
import { CurrentRegistrations } from '../src/app/registration/CurrentRegistrations.ts';
import { DeadlineSchedule } from '../src/app/registration/DeadlineSchedule.ts';
import type { JsonValue } from '../src/domain/Json.ts';
import { defaultRegistrationPolicy, registrationDeadline, registrationDecider } from '../src/domain/registration/RegistrationDecider.ts';
import type { RegistrationEvent, RegistrationRecord } from '../src/domain/registration/RegistrationEvents.ts';
import { registrationStream } from '../src/domain/registration/RegistrationEvents.ts';

const option = (name: string): string | undefined => {
  const at = process.argv.indexOf(name);
  return at < 0 ? undefined : process.argv[at + 1];
};
const fleetSizes = (option('--fleet-sizes') ?? '100000,1000000').split(',').map(Number);
const lifetime = Number(option('--lifetime') ?? 300);
const half = lifetime / 2;
const graceSeconds = defaultRegistrationPolicy.expiryGraceSeconds;
/** Ticks at which the walk over every registration is timed too (it takes a second and more at a million). */
const walkSamples = 8;
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;
const loadAverage = (): string => execSync('uptime').toString().replace(/.*load average: /, '').trim();
const start = Date.parse('2026-12-07T00:00:00.000Z');
const objectLinks = { rootPath: '/', contentFormats: [], objects: [{ objectId: 1, instanceId: 0, version: null }, { objectId: 3, instanceId: 0, version: null }], ignoredLinks: 0 };

let position = 0;
function recorded(endpoint: string, revision: number, event: RegistrationEvent, at: number): RecordedEvent {
  position++;
  return { id: `e${position}`, type: event.type, data: event.data as unknown as JsonValue, metadata: { schemaVersion: 1 }, stream: registrationStream(endpoint), revision, position, recordedAt: new Date(at) };
}

const endpointOf = (index: number): string => `bench-expiry-${index}`;
/** Device `index` registered `index mod half` seconds before the start, and updates every half lifetime after that. */
const registeredAt = (index: number): number => start - (index % half) * 1000;
const lapses = (index: number): boolean => index % 10 === 0;

function microsOf(work: () => void): number {
  const before = process.cpuUsage();
  work();
  const used = process.cpuUsage(before);
  return used.user + used.system;
}

interface Figures {
  readonly ticks: number;
  readonly walkMicros: number[];
  readonly takeMicros: number[];
  readonly examined: number[];
  readonly expired: number;
  readonly scheduled: number;
  readonly registrations: number;
}

function runFleet(devices: number): Figures {
  const current = new CurrentRegistrations(registrationDecider());
  const revisions = new Int32Array(devices);
  for (let index = 0; index < devices; index++) {
    const at = new Date(registeredAt(index)).toISOString();
    const registration: RegistrationRecord = {
      endpoint: endpointOf(index), registrationId: `id-${index}`, address: '127.0.0.1', port: 10_000 + (index % 50_000), channel: 'plain', pskIdentity: null,
      lifetime, lwm2mVersion: '1.1', binding: 'U', queueMode: false, smsNumber: null, objectLinks, registeredAt: at, lastUpdateAt: at,
    };
    current.apply(recorded(registration.endpoint, 0, { type: 'DeviceRegistered', data: { registration, replacedRegistrationId: null } }, registeredAt(index)));
  }
  // Past the last lapsed device's deadline (registered a half lifetime before the start).
  const ticks = lifetime + graceSeconds + 5;
  const walkEvery = Math.max(1, Math.floor(ticks / walkSamples));
  const figures: Figures = { ticks, walkMicros: [], takeMicros: [], examined: [], expired: 0, scheduled: 0, registrations: 0 };
  let expired = 0;
  for (let second = 1; second <= ticks; second++) {
    const now = start + second * 1000;
    const updatedAt = new Date(now).toISOString();
    // The devices whose half lifetime since their last Register or Update ends this second send their Update.
    for (let index = (half - (second % half)) % half; index < devices; index += half) {
      if (lapses(index)) continue;
      const endpoint = endpointOf(index);
      revisions[index] = (revisions[index] ?? 0) + 1;
      current.apply(recorded(endpoint, revisions[index] ?? 0, {
        type: 'RegistrationUpdated',
        data: { endpoint, registrationId: `id-${index}`, address: '127.0.0.1', port: 10_000 + (index % 50_000), previousAddress: null, lifetime: null, binding: null, queueMode: null, smsNumber: null, objectLinks: null, updatedAt },
      }, now));
    }
    const nowDate = new Date(now);
    if (second % walkEvery === 0) {
      // The yardstick: the expiry as it was, every registration's deadline compared each tick.
      figures.walkMicros.push(microsOf(() => {
        const due: RegistrationRecord[] = [];
        for (const registration of current.registrations()) if (registrationDeadline(registration, defaultRegistrationPolicy) <= nowDate) due.push(registration);
      }));
    }
    let taken: RegistrationRecord[] = [];
    figures.takeMicros.push(microsOf(() => {
      const result = current.takeExpired(nowDate);
      taken = result.expired;
      figures.examined.push(result.examined);
    }));
    for (const registration of taken) {
      const index = Number(registration.registrationId.slice(3));
      revisions[index] = (revisions[index] ?? 0) + 1;
      current.apply(recorded(registration.endpoint, revisions[index] ?? 0, {
        type: 'RegistrationExpired',
        data: { endpoint: registration.endpoint, registrationId: registration.registrationId, lastUpdateAt: registration.lastUpdateAt, lifetime, graceSeconds, expiredAt: updatedAt },
      }, now));
      expired++;
    }
  }
  return { ...figures, expired, scheduled: current.scheduledDeadlines, registrations: current.count };
}

/** Heap bytes per key of a schedule alone (a map entry and a bucket slot each), after a full collection. */
function scheduleHeapPerKey(keys: number): number {
  const endpoints = Array.from({ length: keys }, (_, index) => endpointOf(index));
  collectGarbage();
  const before = process.memoryUsage().heapUsed;
  const schedule = new DeadlineSchedule();
  for (let index = 0; index < keys; index++) schedule.schedule(endpoints[index] ?? '', registeredAt(index) + (lifetime + graceSeconds) * 1000);
  collectGarbage();
  const perKey = (process.memoryUsage().heapUsed - before) / schedule.size;
  return perKey;
}

const mean = (values: readonly number[]): number => values.reduce((sum, value) => sum + value, 0) / Math.max(1, values.length);
const max = (values: readonly number[]): number => values.reduce((top, value) => Math.max(top, value), 0);
const format = (value: number): string => Math.round(value).toLocaleString('en-US');

process.stdout.write(`Registration expiry benchmark: ${fleetSizes.join(', ')} registrations, lifetime ${lifetime} s (+${graceSeconds} s grace); ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), Node ${process.version}; load average ${loadAverage()}\n\n`);
process.stdout.write('| registrations | ticks | walk over all, µs CPU a tick (mean of sampled) | due deadlines only, µs CPU a tick (mean / max) | entries examined a tick (mean / max) | expired | schedule entries at the end / registrations | schedule heap a registration |\n|---|---|---|---|---|---|---|---|\n');
for (const devices of fleetSizes) {
  const figures = runFleet(devices);
  const heapPerKey = scheduleHeapPerKey(devices);
  process.stdout.write(
    `| ${format(devices)} | ${figures.ticks} | ${format(mean(figures.walkMicros))} (${figures.walkMicros.length} ticks) | ${format(mean(figures.takeMicros))} / ${format(max(figures.takeMicros))} | ${format(mean(figures.examined))} / ${format(max(figures.examined))} | ${format(figures.expired)} | ${format(figures.scheduled)} / ${format(figures.registrations)} | ${format(heapPerKey)} B |\n`,
  );
  collectGarbage();
}
process.stdout.write(`\nload average after: ${loadAverage()}\n`);
