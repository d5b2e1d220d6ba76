/**
 * The two ways a simulated device reaches the server: a UDP socket of its own (`coap://`), or a DTLS
 * 1.2 PSK session of node-dtls-client over its own socket (`coaps://`, RFC 7925 section 4.2: the
 * device opens the session, and the server reaches the device through it).
 */
import { createSocket } from 'node:dgram';
import { dtls } from 'node-dtls-client';
import type { DatagramChannel } from './DevicePort.ts';

export interface ServerAddress {
  readonly host: string;
  readonly port: number;
}

const familyOf = (host: string): 'udp4' | 'udp6' => (host.includes(':') ? 'udp6' : 'udp4');

export async function openUdpChannel(server: ServerAddress, receive: (bytes: Uint8Array) => void): Promise<DatagramChannel> {
  const socket = createSocket(familyOf(server.host));
  // A refused datagram (ICMP port unreachable) surfaces as a socket error: the exchange then times out.
  socket.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.connect(server.port, server.host, () => {
      socket.off('error', reject);
      resolve();
    });
  });
  socket.on('message', (bytes) => receive(bytes));
  return {
    send: (bytes) => socket.send(bytes),
    close: () => new Promise((resolve) => socket.close(() => resolve())),
  };
}

/** Resolves once the handshake is done; rejects with node-dtls-client's error (alert, timeout). */
export async function openDtlsChannel(server: ServerAddress, identity: string, key: Buffer, timeoutMs: number, receive: (bytes: Uint8Array) => void): Promise<DatagramChannel> {
  const socket = dtls.createSocket({
    type: familyOf(server.host),
    address: server.host,
    port: server.port,
    psk: { [identity]: key },
    ciphers: ['TLS_PSK_WITH_AES_128_CCM_8'],
    timeout: timeoutMs,
  });
  let closed = false;
  // node-dtls-client closes its socket itself on close_notify or an error, and throws if closed twice.
  socket.on('close', () => (closed = true));
  await new Promise<void>((resolve, reject) => {
    socket.once('connected', () => resolve());
    socket.once('error', (error: Error) => reject(error));
  });
  socket.on('error', () => undefined);
  socket.on('message', (bytes: Buffer) => receive(bytes));
  return {
    send: (bytes) => {
      if (!closed) socket.send(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    },
    close: () =>
      new Promise((resolve) => {
        if (closed) resolve();
        else socket.close(() => resolve());
      }),
  };
}
