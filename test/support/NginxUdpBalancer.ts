/**
 * Debian's nginx (package nginx, with its stream module; installed by .ci/run) as a real UDP load
 * balancer in front of several CoAP endpoints on loopback, started by a test as its own child process:
 * its configuration, pid file and error log in a temporary directory, listening on an ephemeral port of
 * 127.0.0.1, needing no privilege.
 *
 * How nginx balances UDP (ngx_stream_proxy_module, ngx_stream_upstream_module):
 * - Each client source (address and port) gets a session with its own upstream socket; the backend
 *   sees the client at that socket's address, and what the backend sends there is relayed back to the
 *   client for as long as the session lives. CoAP traffic is not one response per request (the server
 *   sends requests and notifications of its own, RFC 7252 section 2.1, RFC 7641 section 4), so the
 *   session is not ended after a number of responses (`proxy_responses` is left unset) but after
 *   `proxy_timeout` without a datagram either way, which must outlast a device's quietest interval.
 * - `hash ... consistent` picks a session's backend (ketama): a source keeps its backend, and when a
 *   backend is marked down only the sources it had move, to the next backend on the ring.
 * - A backend whose port is closed answers with ICMP port unreachable. nginx 1.22 counts that as a
 *   failure only when a send on the session's socket fails with ECONNREFUSED: the first datagram
 *   after the backend died is lost (the ICMP error arrives afterwards, the recv() fails, the session
 *   stays), the second is lost too (its sendmsg() fails, the backend is marked down for
 *   `fail_timeout`, the session ends), the third opens a new session on a live backend. A CoAP client
 *   therefore reaches another backend with its second retransmission (RFC 7252 section 4.2).
 * - A backend that is silent (a hung process, or a host gone without an ICMP error) is never marked
 *   down: with `proxy_responses` unset, a session that times out unanswered counts as a success, and
 *   its sources keep being sent there. Only `proxy_responses` makes an unanswered session a failure,
 *   and it also ends every session after that many datagrams back, cutting off what the server sends
 *   the device on its own; open-source nginx has no active health check for UDP.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const nginxBinary = '/usr/sbin/nginx';
export const nginxStreamModule = '/usr/lib/nginx/modules/ngx_stream_module.so';

export interface NginxUdpBalancerOptions {
  /** The backends' UDP ports on 127.0.0.1, in the order of the upstream block. */
  readonly backendPorts: readonly number[];
  /** Seconds a session lives without a datagram either way (`proxy_timeout`); 600 unless given. */
  readonly sessionTimeoutSeconds?: number;
  /** Seconds a backend found dead is left out before a new session tries it again (`fail_timeout`); 30 unless given. */
  readonly failTimeoutSeconds?: number;
}

/** Why the balancer cannot run on this machine (nginx or its stream module missing), or undefined when it can. */
export function nginxUdpBalancerUnavailable(): string | undefined {
  if (!existsSync(nginxBinary)) return `${nginxBinary} is missing (Debian package nginx, installed by .ci/run)`;
  if (!existsSync(nginxStreamModule)) return `${nginxStreamModule} is missing (Debian package libnginx-mod-stream, installed by .ci/run with nginx)`;
  return undefined;
}

/**
 * The configuration. One process (`master_process off`, so no worker): a datagram from a source is
 * always read by the process holding that source's session (with several workers sharing the socket,
 * another worker could open a second session, and the backend would see the device at two addresses),
 * and a SIGKILL to the child leaves no worker behind holding the port.
 *
 * The hash key is the source address AND port: on loopback every device sends from 127.0.0.1, so
 * `hash $remote_addr` would send them all to one backend; in production devices have addresses (or NAT
 * ports) of their own, and `$remote_addr` alone would keep a device on its backend across a NAT
 * rebinding of its port.
 */
export function nginxUdpBalancerConfig(dir: string, listenPort: number, options: NginxUdpBalancerOptions): string {
  const failTimeout = options.failTimeoutSeconds ?? 30;
  const servers = options.backendPorts.map((port) => `      server 127.0.0.1:${port} max_fails=1 fail_timeout=${failTimeout}s;`);
  return [
    `load_module ${nginxStreamModule};`,
    'daemon off;',
    'master_process off;',
    `pid ${join(dir, 'nginx.pid')};`,
    `error_log ${join(dir, 'error.log')} info;`,
    // Each session takes two connections: the client's and its upstream socket.
    'events { worker_connections 4096; }',
    'stream {',
    '  upstream lwm2m_nodes {',
    '      hash $remote_addr:$remote_port consistent;',
    ...servers,
    '  }',
    '  server {',
    `    listen 127.0.0.1:${listenPort} udp;`,
    '    proxy_pass lwm2m_nodes;',
    `    proxy_timeout ${options.sessionTimeoutSeconds ?? 600}s;`,
    '  }',
    '}',
    '',
  ].join('\n');
}

export class NginxUdpBalancer {
  readonly host = '127.0.0.1';
  readonly port: number;
  readonly #dir: string;
  readonly #child: ChildProcess;
  readonly #exited: Promise<number | null>;
  /** nginx does not watch its parent: a test process that exits without stopping it takes it along. */
  readonly #killOnExit = (): void => {
    this.#child.kill('SIGKILL');
  };

  private constructor(dir: string, port: number, child: ChildProcess, exited: Promise<number | null>) {
    this.#dir = dir;
    this.port = port;
    this.#child = child;
    this.#exited = exited;
    process.once('exit', this.#killOnExit);
  }

  /** Starts nginx and resolves once it listens (it writes its pid file after binding its sockets). */
  static async start(options: NginxUdpBalancerOptions): Promise<NginxUdpBalancer> {
    const unavailable = nginxUdpBalancerUnavailable();
    if (unavailable !== undefined) throw new Error(`nginx cannot run: ${unavailable}`);
    // The port is found free and handed to nginx, so another process may take it in between: try again then.
    for (let attempt = 1; ; attempt++) {
      const dir = mkdtempSync(join(tmpdir(), 'hub-nginx-'));
      const port = await freeUdpPort();
      writeFileSync(join(dir, 'nginx.conf'), nginxUdpBalancerConfig(dir, port, options));
      // -e: the error log from the start, before the configuration names it (the default is under /var/log).
      const child = spawn(nginxBinary, ['-p', dir, '-e', join(dir, 'error.log'), '-c', join(dir, 'nginx.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      if (await listening(join(dir, 'nginx.pid'), child)) return new NginxUdpBalancer(dir, port, child, exited);
      const log = `${stderr}${readIfPresent(join(dir, 'error.log'))}`;
      rmSync(dir, { recursive: true, force: true });
      if (attempt < 3 && log.includes('Address already in use')) continue;
      throw new Error(`nginx did not start:\n${log}`);
    }
  }

  /** nginx's error log so far: each session's client and backend at level info, failures and backends marked down. */
  errorLog(): string {
    return readIfPresent(join(this.#dir, 'error.log'));
  }

  /**
   * The backend port of each session, by the port of the session's upstream socket (the source a
   * backend sees a client at), from the error log's "udp proxy ... connected to ..." lines; a port
   * used again by a later session maps to that session's backend.
   */
  backendsBySessionPort(): Map<number, number> {
    const sessions = new Map<number, number>();
    for (const match of this.errorLog().matchAll(/udp proxy 127\.0\.0\.1:(\d+) connected to 127\.0\.0\.1:(\d+)/g)) sessions.set(Number(match[1]), Number(match[2]));
    return sessions;
  }

  /** A graceful stop (SIGQUIT): nginx closes its listening socket and sessions and exits. */
  async stop(): Promise<void> {
    await this.#end('SIGQUIT');
  }

  /** An abrupt stop (SIGKILL), as a crashed balancer: nothing is closed in order. */
  async kill(): Promise<void> {
    await this.#end('SIGKILL');
  }

  async #end(signal: NodeJS.Signals): Promise<void> {
    // Without a master process, nginx checks for a signal only when epoll_wait returns: one that
    // arrives just before the wait (right after the start, say) leaves it waiting with no timer to end
    // the wait. The signal is sent again until it exits.
    let exited = false;
    void this.#exited.then(() => (exited = true));
    while (!exited && this.#child.exitCode === null && this.#child.signalCode === null) {
      this.#child.kill(signal);
      await Promise.race([this.#exited, new Promise((resolve) => setTimeout(resolve, 100))]);
    }
    await this.#exited;
    process.off('exit', this.#killOnExit);
    rmSync(this.#dir, { recursive: true, force: true });
  }
}

/** A UDP port of 127.0.0.1 free when asked (another process may take it before the caller binds it). */
export async function freeUdpPort(): Promise<number> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(resolve));
  return port;
}

/** Whether nginx wrote its pid file (it does so once its sockets are bound) before it exited. */
async function listening(pidFile: string, child: ChildProcess): Promise<boolean> {
  for (;;) {
    if (existsSync(pidFile)) return true;
    if (child.exitCode !== null || child.signalCode !== null) return false;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function readIfPresent(path: string): string {
  return existsSync(path) ? readFileSync(path, 'utf8') : '';
}
