/**
 * The state of established DTLS sessions as bytes, so that a stopping service can hand its sessions to
 * the next start and devices keep sending over them without a new handshake (Californium's "graceful
 * restart"). Per session: the peer, epoch, cipher suite and key block (RFC 5246 section 6.3), the write
 * sequence number and the read replay window (RFC 6347 section 4.1.2.6), the connection IDs (RFC 9146)
 * and what authenticated the client. The bytes hold keys: they are only ever written sealed.
 *
 * Layout (big-endian): version(1) savedAt(6) count(3), then per session the fields in `encodeSession`'s
 * order. Decoding is bounds-checked like every parser here, since a file may be truncated or corrupt.
 */
import { ByteReader } from './ByteReader.ts';
import type { ParseResult } from './ByteReader.ts';
import { CIPHER_SUITES } from './CipherSuites.ts';
import type { CipherSuiteName } from './CipherSuites.ts';
import { MAX_SEQUENCE_NUMBER } from './DtlsRecord.ts';
import type { PeerAddress } from './PeerAddress.ts';
import type { ReplayWindowState } from './ReplayWindow.ts';
import type { ClientAuthentication } from './ServerHandshake.ts';

const FORMAT_VERSION = 1;
const AUTHENTICATIONS: readonly ClientAuthentication[] = ['psk', 'x509', 'rpk'];
/** Far above any session limit; a count beyond it is corruption, not a fleet. */
const MAX_SESSIONS = 1_000_000;

/** One session as it is saved; `keyBlock` is key material. */
export interface SavedDtlsSession {
  readonly peer: PeerAddress;
  /** The epoch of the session's records: 1, as this server never renegotiates. */
  readonly epoch: number;
  readonly pskIdentity: Buffer;
  readonly authentication: ClientAuthentication;
  readonly credentialIdentity: string | undefined;
  readonly cipherSuite: CipherSuiteName;
  readonly extendedMasterSecret: boolean;
  readonly establishedAt: Date;
  /** Ours, in the client's records, and the client's, in ours (RFC 9146). */
  readonly readConnectionId: Buffer | undefined;
  readonly writeConnectionId: Buffer | undefined;
  /** client MAC key, server MAC key, client key, server key, client IV, server IV (RFC 5246 section 6.3). */
  readonly keyBlock: Buffer;
  readonly nextWriteSequence: number;
  readonly readWindow: ReplayWindowState;
}

export interface SavedDtlsSessions {
  readonly savedAt: Date;
  readonly sessions: readonly SavedDtlsSession[];
}

export function encodeDtlsSessions(state: SavedDtlsSessions): Buffer {
  const header = Buffer.alloc(10);
  header.writeUInt8(FORMAT_VERSION, 0);
  header.writeUIntBE(state.savedAt.getTime(), 1, 6);
  header.writeUIntBE(state.sessions.length, 7, 3);
  return Buffer.concat([header, ...state.sessions.map(encodeSession)]);
}

function encodeSession(session: SavedDtlsSession): Buffer {
  const suite = CIPHER_SUITES.find((candidate) => candidate.name === session.cipherSuite);
  const bitmap = Buffer.alloc(8);
  bitmap.writeBigUInt64BE(session.readWindow.bitmap);
  return Buffer.concat([
    vector8(Buffer.from(session.peer.address, 'utf8')),
    uint(session.peer.port, 2),
    uint(session.epoch, 2),
    uint(AUTHENTICATIONS.indexOf(session.authentication), 1),
    vector16(session.pskIdentity),
    optional(session.credentialIdentity === undefined ? undefined : vector16(Buffer.from(session.credentialIdentity, 'utf8'))),
    uint(suite?.id ?? 0, 2),
    uint(session.extendedMasterSecret ? 1 : 0, 1),
    uint(session.establishedAt.getTime(), 6),
    optional(session.readConnectionId === undefined ? undefined : vector8(session.readConnectionId)),
    optional(session.writeConnectionId === undefined ? undefined : vector8(session.writeConnectionId)),
    vector8(session.keyBlock),
    uint(session.nextWriteSequence, 6),
    // highest + 1, so that "nothing received" (-1) is 0
    uint(session.readWindow.highest + 1, 6),
    bitmap,
  ]);
}

export function decodeDtlsSessions(bytes: Buffer): ParseResult<SavedDtlsSessions> {
  const reader = new ByteReader(bytes);
  const version = reader.uint8('format version');
  if (reader.error === undefined && version !== FORMAT_VERSION) reader.fail(`format version ${version}, expected ${FORMAT_VERSION}`, 0);
  const savedAt = new Date(reader.uint48('saved at'));
  const count = reader.uint24('session count');
  if (count > MAX_SESSIONS) reader.fail(`${count} sessions, more than ${MAX_SESSIONS}`, 7);
  const sessions: SavedDtlsSession[] = [];
  for (let index = 0; index < count && reader.error === undefined; index++) {
    const session = decodeSession(reader, index);
    if (session !== undefined) sessions.push(session);
  }
  if (reader.error === undefined && reader.remaining > 0) reader.fail(`${reader.remaining} bytes after the last session`);
  return reader.error === undefined ? { ok: true, value: { savedAt, sessions } } : { ok: false, error: reader.error };
}

function decodeSession(reader: ByteReader, index: number): SavedDtlsSession | undefined {
  const what = `session ${index}`;
  const start = reader.offset;
  const address = reader.vector8(`${what} address`).toString('utf8');
  const port = reader.uint16(`${what} port`);
  const epoch = reader.uint16(`${what} epoch`);
  const authentication = AUTHENTICATIONS[reader.uint8(`${what} authentication`)];
  const pskIdentity = Buffer.from(reader.vector16(`${what} PSK identity`));
  const credentialIdentity = readOptional(reader, `${what} credential identity`, (name) => reader.vector16(name).toString('utf8'));
  const suiteId = reader.uint16(`${what} cipher suite`);
  const suite = CIPHER_SUITES.find((candidate) => candidate.id === suiteId);
  const extendedMasterSecret = reader.uint8(`${what} extended master secret`) === 1;
  const establishedAt = new Date(reader.uint48(`${what} established at`));
  const readConnectionId = readOptional(reader, `${what} read connection ID`, (name) => Buffer.from(reader.vector8(name)));
  const writeConnectionId = readOptional(reader, `${what} write connection ID`, (name) => Buffer.from(reader.vector8(name)));
  const keyBlock = Buffer.from(reader.vector8(`${what} key block`));
  const nextWriteSequence = reader.uint48(`${what} write sequence number`);
  const highest = reader.uint48(`${what} highest read sequence number`) - 1;
  const bitmap = reader.bytes(8, `${what} replay bitmap`);
  if (reader.error !== undefined) return undefined;
  if (authentication === undefined) reader.fail(`${what}: unknown authentication`, start);
  else if (suite === undefined) reader.fail(`${what}: unknown cipher suite 0x${suiteId.toString(16)}`, start);
  else if (epoch !== 1) reader.fail(`${what}: epoch ${epoch}, only epoch 1 sessions are saved`, start);
  else if (keyBlock.length !== 2 * (suite.macKeyLength + suite.keyLength + suite.fixedIvLength)) reader.fail(`${what}: key block of ${keyBlock.length} bytes for ${suite.name}`, start);
  else if (nextWriteSequence > MAX_SEQUENCE_NUMBER || highest < 0) reader.fail(`${what}: sequence numbers out of range`, start);
  if (reader.error !== undefined || authentication === undefined || suite === undefined) return undefined;
  return {
    peer: { address, port },
    epoch,
    pskIdentity,
    authentication,
    credentialIdentity,
    cipherSuite: suite.name,
    extendedMasterSecret,
    establishedAt,
    readConnectionId,
    writeConnectionId,
    keyBlock,
    nextWriteSequence,
    readWindow: { highest, bitmap: bitmap.readBigUInt64BE(0) },
  };
}

function readOptional<T>(reader: ByteReader, what: string, read: (what: string) => T): T | undefined {
  const present = reader.uint8(`${what} presence`);
  if (present === 0) return undefined;
  if (present !== 1) reader.fail(`${what} presence: ${present}, expected 0 or 1`, reader.offset - 1);
  return read(what);
}

function uint(value: number, length: number): Buffer {
  const out = Buffer.alloc(length);
  out.writeUIntBE(value, 0, length);
  return out;
}

function vector8(bytes: Buffer): Buffer {
  return Buffer.concat([uint(bytes.length, 1), bytes]);
}

function vector16(bytes: Buffer): Buffer {
  return Buffer.concat([uint(bytes.length, 2), bytes]);
}

function optional(encoded: Buffer | undefined): Buffer {
  return encoded === undefined ? Buffer.from([0]) : Buffer.concat([Buffer.from([1]), encoded]);
}
