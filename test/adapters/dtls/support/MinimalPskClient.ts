/**
 * A minimal DTLS 1.2 PSK client assembled from the server's own codecs, for what independent clients
 * cannot do: drive the handshake flight by flight (to lose or repeat flights on purpose) and measure the
 * server without a slow client in the way. Interoperability is proven by node-dtls-client and libcoap,
 * never by this client.
 */
import { createSocket } from 'node:dgram';
import type { Socket } from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { CIPHER_SUITES, connectionKeys, keyBlockLength } from '../../../../src/adapters/dtls/CipherSuites.ts';
import type { CipherSuite } from '../../../../src/adapters/dtls/CipherSuites.ts';
import { ProtectedRecords } from '../../../../src/adapters/dtls/ProtectedRecords.ts';
import { ContentType, parseDatagram, serializeRecord } from '../../../../src/adapters/dtls/DtlsRecord.ts';
import type { DtlsRecord } from '../../../../src/adapters/dtls/DtlsRecord.ts';
import { HandshakeType, parseHandshakeFragments, serializeHandshake } from '../../../../src/adapters/dtls/HandshakeCodec.ts';
import { HandshakeTranscript } from '../../../../src/adapters/dtls/HandshakeTranscript.ts';
import { extendedMasterSecret, finishedVerifyData, keyBlock, masterSecret, pskPremasterSecret } from '../../../../src/adapters/dtls/Prf.ts';
import { clientHelloRecord, cookieOfHelloVerifyRequest } from './ClientHelloBuilder.ts';

const VERSION = 0xfefd;

export interface MinimalPskClientOptions {
  /** Default TLS_PSK_WITH_AES_128_CCM_8. */
  readonly suiteId?: number;
  /** 0 (default) picks a free port; a fixed one plays a client that restarted behind the same address. */
  readonly localPort?: number;
  /** Sends the ClientKeyExchange as two fragments, last part first (RFC 6347 section 4.2.3). */
  readonly fragmentKeyExchange?: boolean;
  /** Offers RFC 9146 connection IDs, asking for this one (possibly empty) in the server's records. */
  readonly connectionId?: Buffer;
}

/** What a client keeps to resume a session (RFC 5246 section 7.3): its ID and master secret. */
export interface ClientSession {
  readonly sessionId: Buffer;
  readonly masterSecret: Buffer;
  readonly suiteId: number;
}

export class MinimalPskClient {
  /** The datagram that carried flight 5, to repeat it in tests (empty after an abbreviated handshake). */
  readonly flight5: Buffer;
  /** The session to resume later, when the server gave it an ID. */
  readonly session: ClientSession | undefined;
  /** The connection ID the server gave us, if it did. */
  readonly serverConnectionId: Buffer | undefined;
  private socket: Socket;
  private readonly serverPort: number;
  private readonly records: ProtectedRecords;
  private readonly ownConnectionIdLength: number;
  private nextSequence = 1;
  private dataListener: (data: Buffer) => void = () => undefined;

  private constructor(
    socket: Socket,
    serverPort: number,
    records: ProtectedRecords,
    flight5: Buffer,
    serverConnectionId: Buffer | undefined,
    ownConnectionIdLength: number,
    session: ClientSession | undefined,
  ) {
    this.session = session;
    this.socket = socket;
    this.serverPort = serverPort;
    this.records = records;
    this.flight5 = flight5;
    this.serverConnectionId = serverConnectionId;
    this.ownConnectionIdLength = ownConnectionIdLength;
    this.listen(socket);
  }

  static async connect(serverPort: number, identity: string, key: string, options: MinimalPskClientOptions = {}): Promise<MinimalPskClient> {
    const suiteId = options.suiteId ?? 0xc0a8;
    const suite = suiteById(suiteId);
    const { socket, inbox, send } = await openClientSocket(serverPort, options.localPort ?? 0);
    try {
      const random = randomBytes(32);
      const ownConnectionId = options.connectionId;
      send(clientHelloRecord({ random, cipherSuites: [suite.id], connectionId: ownConnectionId }));
      const cookie = cookieOfHelloVerifyRequest(await inbox.next());
      const hello = clientHelloRecord({ random, cookie, cipherSuites: [suite.id], messageSeq: 1, recordSequence: 1, connectionId: ownConnectionId });
      const transcript = new HandshakeTranscript();
      transcript.add(hello.subarray(13));
      send(hello);
      const flight4 = parseDatagram(await inbox.next()).records.flatMap((record) => handshakeMessages(record));
      const serverHello = flight4.find((message) => message.type === HandshakeType.serverHello);
      if (serverHello === undefined || flight4.at(-1)?.type !== HandshakeType.serverHelloDone) throw new Error('flight 4 incomplete');
      for (const message of flight4) transcript.add(message.bytes);
      const serverRandom = serverHello.body.subarray(2, 34);
      const withExtendedMasterSecret = serverHello.body.includes(Buffer.from([0x00, 0x17, 0x00, 0x00]));
      const serverConnectionId = connectionIdOf(serverHello.body);

      const identityBytes = Buffer.from(identity);
      const exchangeBody = Buffer.concat([Buffer.from([identityBytes.length >> 8, identityBytes.length & 0xff]), identityBytes]);
      const exchange = serializeHandshake(HandshakeType.clientKeyExchange, 2, exchangeBody);
      transcript.add(exchange);
      const premaster = pskPremasterSecret(Buffer.from(key));
      const master = withExtendedMasterSecret ? extendedMasterSecret(premaster, transcript.digest()) : masterSecret(premaster, random, serverRandom);
      const keys = connectionKeys(suite, keyBlock(master, random, serverRandom, keyBlockLength(suite)));
      // Our view of the association: we read what the server writes and put the server's CID in our records.
      const ownReadId = serverConnectionId !== undefined && ownConnectionId !== undefined && ownConnectionId.length > 0 ? ownConnectionId : undefined;
      const records = new ProtectedRecords(keys.serverWrite, keys.clientWrite, ownReadId, serverConnectionId);
      const finished = serializeHandshake(HandshakeType.finished, 3, finishedVerifyData(master, 'client', transcript.digest()));
      transcript.add(finished);
      const exchangeRecords = (options.fragmentKeyExchange === true ? splitInTwo(exchange).reverse() : [exchange]).map((fragment, index) =>
        serializeRecord({ type: ContentType.handshake, version: VERSION, epoch: 0, sequenceNumber: 2 + index, fragment }),
      );
      const flight5 = Buffer.concat([
        ...exchangeRecords,
        serializeRecord({ type: ContentType.changeCipherSpec, version: VERSION, epoch: 0, sequenceNumber: 2 + exchangeRecords.length, fragment: Buffer.from([1]) }),
        records.seal(ContentType.handshake, 0, finished),
      ]);
      send(flight5);
      const flight6 = parseDatagram(await inbox.next(), ownReadId?.length ?? 0).records;
      const serverFinished = flight6.find((record) => record.epoch === 1);
      const opened = serverFinished === undefined ? undefined : records.open(serverFinished);
      const expected = serializeHandshake(HandshakeType.finished, 3, finishedVerifyData(master, 'server', transcript.digest()));
      if (opened === undefined || opened.type !== ContentType.handshake || !opened.content.equals(expected)) throw new Error('server Finished did not verify');
      inbox.stop();
      const sessionId = sessionIdOf(serverHello.body);
      const session = sessionId.length === 0 ? undefined : { sessionId, masterSecret: master, suiteId };
      return new MinimalPskClient(socket, serverPort, records, flight5, serverConnectionId, ownReadId?.length ?? 0, session);
    } catch (error) {
      inbox.stop();
      socket.close();
      throw error;
    }
  }

  /**
   * An abbreviated handshake (RFC 5246 section 7.3) from a new socket, offering `session`: the server's
   * ServerHello, ChangeCipherSpec and Finished, then ours. Rejects when the server does not resume it.
   */
  static async resume(serverPort: number, session: ClientSession): Promise<MinimalPskClient> {
    const suite = suiteById(session.suiteId);
    const { socket, inbox, send } = await openClientSocket(serverPort);
    try {
      const random = randomBytes(32);
      const offer = { random, cipherSuites: [suite.id], sessionId: session.sessionId };
      send(clientHelloRecord(offer));
      const hello = clientHelloRecord({ ...offer, cookie: cookieOfHelloVerifyRequest(await inbox.nextHandshake()), messageSeq: 1, recordSequence: 1 });
      const transcript = new HandshakeTranscript();
      transcript.add(hello.subarray(13));
      send(hello);
      const flight = parseDatagram(await inbox.nextHandshake()).records;
      const serverHello = flight.flatMap((record) => handshakeMessages(record)).find((message) => message.type === HandshakeType.serverHello);
      if (serverHello === undefined || !sessionIdOf(serverHello.body).equals(session.sessionId)) throw new Error('the server did not resume the session');
      transcript.add(serverHello.bytes);
      const serverRandom = serverHello.body.subarray(2, 34);
      const keys = connectionKeys(suite, keyBlock(session.masterSecret, random, serverRandom, keyBlockLength(suite)));
      const records = new ProtectedRecords(keys.serverWrite, keys.clientWrite, undefined, undefined);
      const serverFinished = flight.find((record) => record.epoch === 1);
      const opened = serverFinished === undefined ? undefined : records.open(serverFinished);
      const expected = serializeHandshake(HandshakeType.finished, 2, finishedVerifyData(session.masterSecret, 'server', transcript.digest()));
      if (opened === undefined || !opened.content.equals(expected)) throw new Error('server Finished did not verify');
      transcript.add(expected);
      const finished = serializeHandshake(HandshakeType.finished, 2, finishedVerifyData(session.masterSecret, 'client', transcript.digest()));
      const flight5 = Buffer.concat([serializeRecord({ type: ContentType.changeCipherSpec, version: VERSION, epoch: 0, sequenceNumber: 2, fragment: Buffer.from([1]) }), records.seal(ContentType.handshake, 0, finished)]);
      // Our flight is the last: it must have left before the caller may close the socket.
      await new Promise<void>((resolve) => socket.send(flight5, serverPort, '127.0.0.1', () => resolve()));
      inbox.stop();
      return new MinimalPskClient(socket, serverPort, records, Buffer.alloc(0), undefined, 0, session);
    } catch (error) {
      inbox.stop();
      socket.close();
      throw error;
    }
  }

  onData(listener: (data: Buffer) => void): void {
    this.dataListener = listener;
  }

  /** Protects and sends application data; returns the datagram, so that tests can replay it. */
  send(data: Buffer): Buffer {
    const datagram = this.seal(data);
    this.sendRaw(datagram);
    return datagram;
  }

  /** Protects application data with the next sequence number without sending it. */
  seal(data: Buffer): Buffer {
    return this.records.seal(ContentType.applicationData, this.nextSequence++, data);
  }

  /** Continues the session from a new local port, as after a NAT rebinding. */
  async moveToNewPort(): Promise<void> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    const old = this.socket;
    this.socket = socket;
    this.listen(socket);
    await new Promise<void>((resolve) => old.close(() => resolve()));
  }

  private listen(socket: Socket): void {
    socket.on('message', (datagram) => {
      for (const record of parseDatagram(datagram, this.ownConnectionIdLength).records) {
        if (record.epoch !== 1) continue;
        const opened = this.records.open(record);
        if (opened?.type === ContentType.applicationData) this.dataListener(opened.content);
      }
    });
  }

  sendRaw(datagram: Buffer): void {
    this.socket.send(datagram, this.serverPort, '127.0.0.1');
  }

  get localPort(): number {
    return this.socket.address().port;
  }

  /** Collects the next `count` raw datagrams from the server. */
  async nextRaw(count: number, timeoutMs = 2000): Promise<Buffer[]> {
    const inbox = new Inbox(this.socket);
    const datagrams: Buffer[] = [];
    try {
      for (let i = 0; i < count; i++) datagrams.push(await inbox.next(timeoutMs));
    } finally {
      inbox.stop();
    }
    return datagrams;
  }

  /** Closes the socket without close_notify, as a client that loses power would. */
  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      try {
        this.socket.close(() => resolve());
      } catch {
        resolve(); // already closed
      }
    });
  }
}

/** Two DTLS fragments of one whole handshake message (12-byte header each, offsets and lengths rewritten). */
function splitInTwo(message: Buffer): [Buffer, Buffer] {
  const body = message.subarray(12);
  const half = Math.floor(body.length / 2);
  const fragment = (offset: number, part: Buffer): Buffer => {
    const header = Buffer.from(message.subarray(0, 12));
    header.writeUIntBE(offset, 6, 3);
    header.writeUIntBE(part.length, 9, 3);
    return Buffer.concat([header, part]);
  };
  return [fragment(0, body.subarray(0, half)), fragment(half, body.subarray(half))];
}

/** The session_id of a ServerHello body (RFC 5246 section 7.4.1.3). */
function sessionIdOf(serverHelloBody: Buffer): Buffer {
  const length = serverHelloBody[34] ?? 0;
  return serverHelloBody.subarray(35, 35 + length);
}

/** The connection_id extension of a ServerHello body (RFC 9146 section 3), if present. */
function connectionIdOf(serverHelloBody: Buffer): Buffer | undefined {
  let offset = 2 + 32;
  offset += 1 + (serverHelloBody[offset] ?? 0) + 2 + 1; // session_id, cipher_suite, compression_method
  if (offset + 2 > serverHelloBody.length) return undefined;
  const end = offset + 2 + serverHelloBody.readUInt16BE(offset);
  offset += 2;
  while (offset + 4 <= end) {
    const type = serverHelloBody.readUInt16BE(offset);
    const length = serverHelloBody.readUInt16BE(offset + 2);
    if (type === 54) return serverHelloBody.subarray(offset + 5, offset + 4 + length);
    offset += 4 + length;
  }
  return undefined;
}

export function handshakeMessages(record: DtlsRecord): Array<{ type: number; body: Buffer; bytes: Buffer }> {
  if (record.type !== ContentType.handshake || record.epoch !== 0) return [];
  const fragments = parseHandshakeFragments(record.fragment);
  if (!fragments.ok) return [];
  return fragments.value.map((fragment) => ({ type: fragment.msgType, body: fragment.body, bytes: serializeHandshake(fragment.msgType, fragment.messageSeq, fragment.body) }));
}

export function suiteById(id: number): CipherSuite {
  const suite = CIPHER_SUITES.find((candidate) => candidate.id === id);
  if (suite === undefined) throw new Error(`unknown suite ${id}`);
  return suite;
}

/** A client's UDP socket on loopback (port 0: a free one), the inbox of what it receives, and its sender to the server. */
export async function openClientSocket(serverPort: number, localPort = 0): Promise<{ socket: Socket; inbox: Inbox; send: (datagram: Buffer) => void }> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(localPort, '127.0.0.1', resolve));
  return { socket, inbox: new Inbox(socket), send: (datagram) => void socket.send(datagram, serverPort, '127.0.0.1') };
}

/** Datagrams in arrival order, awaited one at a time with a deadline. */
export class Inbox {
  private readonly socket: Socket;
  private readonly queue: Buffer[] = [];
  private waiter: (() => void) | undefined;
  private readonly listener = (datagram: Buffer): void => {
    this.queue.push(datagram);
    this.waiter?.();
  };

  constructor(socket: Socket) {
    this.socket = socket;
    socket.on('message', this.listener);
  }

  async next(timeoutMs = 2000): Promise<Buffer> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const datagram = this.queue.shift();
      if (datagram !== undefined) return datagram;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('no datagram from the server in time');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.waiter = undefined;
    }
  }

  /**
   * The next datagram that starts with an epoch 0 handshake record: a run of thousands of short-lived
   * sockets gets a port again while the server still sends to its former session there (close_notify).
   */
  async nextHandshake(timeoutMs = 2000): Promise<Buffer> {
    for (;;) {
      const datagram = await this.next(timeoutMs);
      if (datagram[0] === ContentType.handshake && datagram.readUInt16BE(3) === 0) return datagram;
    }
  }

  stop(): void {
    this.socket.off('message', this.listener);
  }
}
