/**
 * The nginx UDP balancer harness against plain UDP backends on loopback: every source reaches a
 * backend and keeps it, a backend can reach a source unasked through the source's session (as the
 * LwM2M server sends its requests to a device), and when a backend's port closes only its sources
 * move, each after the datagrams nginx loses to find the backend dead.
 */
import { createSocket } from 'node:dgram';
import type { RemoteInfo, Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually } from '../app/operations/DeviceManagementHarness.ts';
import { NginxUdpBalancer, nginxUdpBalancerUnavailable } from './NginxUdpBalancer.ts';

const unavailable = nginxUdpBalancerUnavailable();

/** A backend that answers each datagram with its own port and the datagram, and keeps the last source of each. */
class EchoBackend {
  readonly socket: Socket;
  readonly port: number;
  readonly sources = new Map<string, RemoteInfo>();

  private constructor(socket: Socket) {
    this.socket = socket;
    this.port = socket.address().port;
    socket.on('message', (message, source) => {
      this.sources.set(message.toString().split(' ')[0] ?? '', source);
      socket.send(`${this.port} ${message.toString()}`, source.port, source.address);
    });
  }

  static async start(): Promise<EchoBackend> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    return new EchoBackend(socket);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.socket.close(resolve));
  }
}

/** A client with its own source port; `send` waits a while for the answer and tells which backend gave it. */
class Source {
  readonly name: string;
  readonly socket: Socket;
  readonly received: string[] = [];
  #waiting: ((message: string) => void) | undefined;

  private constructor(name: string, socket: Socket) {
    this.name = name;
    this.socket = socket;
    socket.on('message', (message) => {
      this.received.push(message.toString());
      this.#waiting?.(message.toString());
    });
  }

  static async start(name: string): Promise<Source> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    return new Source(name, socket);
  }

  /** The port of the backend that answered, or undefined when nothing came back within `waitMs`. */
  send(balancer: NginxUdpBalancer, text: string, waitMs = 5_000): Promise<number | undefined> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#waiting = undefined;
        resolve(undefined);
      }, waitMs);
      this.#waiting = (message) => {
        if (!message.endsWith(`${this.name} ${text}`)) return;
        clearTimeout(timer);
        this.#waiting = undefined;
        resolve(Number(message.split(' ')[0]));
      };
      this.socket.send(`${this.name} ${text}`, balancer.port, balancer.host);
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.socket.close(resolve));
  }
}

const opened: Array<{ close(): Promise<void> }> = [];
let balancer: NginxUdpBalancer | undefined;

afterEach(async () => {
  await balancer?.kill();
  balancer = undefined;
  for (const part of opened.splice(0)) await part.close();
});

async function startAll(backendCount: number, sourceCount: number): Promise<{ backends: EchoBackend[]; sources: Source[]; balancer: NginxUdpBalancer }> {
  const backends = await Promise.all(Array.from({ length: backendCount }, () => EchoBackend.start()));
  const sources = await Promise.all(Array.from({ length: sourceCount }, (_, index) => Source.start(`source-${index}`)));
  opened.push(...backends, ...sources);
  balancer = await NginxUdpBalancer.start({ backendPorts: backends.map((backend) => backend.port) });
  return { backends, sources, balancer };
}

if (unavailable !== undefined) {
  process.stderr.write(`nginx UDP balancer tests skipped: ${unavailable}\n`);
  describe('NginxUdpBalancer (Debian nginx, stream module)', () => {
    it.skip(`skipped: ${unavailable}`, () => {});
  });
} else describe('NginxUdpBalancer (Debian nginx, stream module)', () => {
  it('spreads the sources over the backends by address and port, and each source keeps its backend', async () => {
    const { backends, sources, balancer } = await startAll(3, 30);
    const first = await Promise.all(sources.map((source) => source.send(balancer, 'one')));
    expect(first.every((port) => port !== undefined)).toBe(true);
    // 30 sources on one address all on one of 3 backends has odds of 3 in 3^30: the port is in the key.
    expect(new Set(first).size).toBe(3);
    for (const text of ['two', 'three']) expect(await Promise.all(sources.map((source) => source.send(balancer, text)))).toEqual(first);
    // Each backend sees each of its sources at one address: the session's upstream socket, which the log names.
    const sessions = balancer.backendsBySessionPort();
    for (const backend of backends) {
      const own = sources.filter((_, index) => first[index] === backend.port);
      expect([...backend.sources.keys()].sort()).toEqual(own.map((source) => source.name).sort());
      for (const session of backend.sources.values()) expect(sessions.get(session.port)).toBe(backend.port);
    }
  });

  it("relays what a backend sends unasked to the session's source", async () => {
    const { backends, sources, balancer } = await startAll(2, 4);
    const ports = await Promise.all(sources.map((source) => source.send(balancer, 'hello')));
    for (const [index, source] of sources.entries()) {
      const backend = backends.find((candidate) => candidate.port === ports[index]);
      const session = backend?.sources.get(source.name);
      if (backend === undefined || session === undefined) throw new Error(`${source.name} reached no backend`);
      const arrived = new Promise<string>((resolve) => source.socket.once('message', (message) => resolve(message.toString())));
      backend.socket.send(`request for ${source.name}`, session.port, session.address);
      expect(await arrived).toBe(`request for ${source.name}`);
    }
  });

  it("moves only a closed backend's sources, each after at least two lost datagrams, and marks the backend down", async () => {
    const { backends, sources, balancer } = await startAll(3, 30);
    const before = await Promise.all(sources.map((source) => source.send(balancer, 'before')));
    const [closed] = backends;
    if (closed === undefined) throw new Error('no backend');
    await closed.close();
    opened.splice(opened.indexOf(closed), 1);

    // Each source retries as a CoAP client retransmits, until a backend answers. A slow answer may
    // count as a lost datagram; a lost one can never count as answered.
    const attempts: number[] = [];
    const after: Array<number | undefined> = [];
    await Promise.all(
      sources.map(async (source, index) => {
        for (let attempt = 1; attempt <= 8; attempt++) {
          const port = await source.send(balancer, `after-${attempt}`, 1_000);
          if (port === undefined) continue;
          attempts[index] = attempt;
          after[index] = port;
          return;
        }
      }),
    );
    for (const [index, port] of before.entries()) {
      if (port === closed.port) {
        expect(after[index]).not.toBe(closed.port);
        expect(after[index]).toBeDefined();
        expect(attempts[index]).toBeGreaterThanOrEqual(3);
      } else {
        expect(after[index]).toBe(port);
      }
    }
    expect(before.filter((port) => port === closed.port).length).toBeGreaterThan(0);
    expect(balancer.errorLog()).toContain(`upstream server temporarily disabled while proxying and sending to upstream`);
    // The moved sources keep their new backend.
    const again = await Promise.all(sources.map((source) => source.send(balancer, 'again')));
    expect(again).toEqual(after);
  });

  it("keeps sending a silent backend's sources to it: an unanswered session that times out is no failure", async () => {
    const backends = await Promise.all([EchoBackend.start(), EchoBackend.start()]);
    const silent = createSocket('udp4');
    await new Promise<void>((resolve) => silent.bind(0, '127.0.0.1', resolve));
    const silentPort = silent.address().port;
    const sources = await Promise.all(Array.from({ length: 30 }, (_, index) => Source.start(`source-${index}`)));
    opened.push(...backends, ...sources, { close: () => new Promise<void>((resolve) => silent.close(() => resolve())) });
    const started = await NginxUdpBalancer.start({ backendPorts: [silentPort, ...backends.map((backend) => backend.port)], sessionTimeoutSeconds: 1 });
    balancer = started;
    const unanswered = async (): Promise<string[]> => {
      const answers = await Promise.all(sources.map((source) => source.send(started, 'hello', 1_500)));
      return sources.filter((_, index) => answers[index] === undefined).map((source) => source.name);
    };
    const stuck = await unanswered();
    expect(stuck.length).toBeGreaterThan(0);
    // Once every session has timed out, the same sources go to the silent backend again.
    await eventually(() => ((started.errorLog().match(/udp timed out/g) ?? []).length >= sources.length ? true : undefined), 10_000);
    expect(await unanswered()).toEqual(stuck);
    expect(started.errorLog()).not.toContain('temporarily disabled');
  });

  it('stops gracefully and abruptly, freeing its port either way', async () => {
    for (const stop of ['stop', 'kill'] as const) {
      const { balancer: started } = await startAll(1, 0);
      await started[stop]();
      balancer = undefined;
      const probe = createSocket('udp4');
      await new Promise<void>((resolve, reject) => {
        probe.once('error', reject);
        probe.bind(started.port, '127.0.0.1', resolve);
      });
      await new Promise<void>((resolve) => probe.close(resolve));
    }
  });

  it('refuses to start with the reason nginx gives', async () => {
    await expect(NginxUdpBalancer.start({ backendPorts: [] })).rejects.toThrow(/nginx did not start:[\s\S]*no servers are inside upstream/);
  });
});
