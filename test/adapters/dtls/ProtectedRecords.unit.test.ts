import { describe, expect, it } from 'vitest';
import { AesAeadProtection } from '../../../src/adapters/dtls/AesAeadProtection.ts';
import { parseDatagram } from '../../../src/adapters/dtls/DtlsRecord.ts';
import { ProtectedRecords } from '../../../src/adapters/dtls/ProtectedRecords.ts';
import { additionalData } from '../../../src/adapters/dtls/RecordProtection.ts';

const toServer = AesAeadProtection.ccm8(Buffer.alloc(16, 1), Buffer.alloc(4, 2));
const toClient = AesAeadProtection.ccm8(Buffer.alloc(16, 3), Buffer.alloc(4, 4));
const serverId = Buffer.from('a1a2a3a4a5a6', 'hex');
const clientId = Buffer.from('c1c2c3c4', 'hex');

describe('records with connection IDs (RFC 9146)', () => {
  it('builds the additional data of section 5.3 byte by byte', () => {
    const header = { type: 25, version: 0xfefd, epoch: 1, sequenceNumber: 5, connectionId: clientId };
    expect(additionalData(header, 11).toString('hex')).toBe(
      'ffffffffffffffff' + '19' + '04' + '19' + 'fefd' + '0001' + '000000000005' + 'c1c2c3c4' + '000b',
    );
  });

  it('keeps the classic additional data without a connection ID', () => {
    expect(additionalData({ type: 23, version: 0xfefd, epoch: 1, sequenceNumber: 5 }, 11).toString('hex')).toBe('0001000000000005' + '17' + 'fefd' + '000b');
  });

  it('parses the record header with the receiver-known ID length (section 4)', () => {
    const bytes = Buffer.from('19fefd0001000000000005c1c2c3c40003aabbcc', 'hex');
    expect(parseDatagram(bytes, 4).records).toEqual([
      { type: 25, version: 0xfefd, epoch: 1, sequenceNumber: 5, connectionId: clientId, fragment: Buffer.from('aabbcc', 'hex') },
    ]);
    expect(parseDatagram(bytes).error?.reason).toBe('unknown content type 25');
  });

  it('round-trips between the two ends, the real type inside', () => {
    const server = new ProtectedRecords(toServer, toClient, serverId, clientId);
    const client = new ProtectedRecords(toClient, toServer, clientId, serverId);
    const fromClient = parseDatagram(client.seal(23, 7, Buffer.from('up')), serverId.length).records[0];
    const fromServer = parseDatagram(server.seal(21, 9, Buffer.from([1, 0])), clientId.length).records[0];
    if (fromClient === undefined || fromServer === undefined) throw new Error('no record');
    expect(fromClient.type).toBe(25);
    expect(fromClient.connectionId).toEqual(serverId);
    expect(server.open(fromClient)).toEqual({ type: 23, content: Buffer.from('up') });
    expect(client.open(fromServer)).toEqual({ type: 21, content: Buffer.from([1, 0]) });
  });

  it('strips zero padding after the real type, and refuses an inner plaintext of zeros', () => {
    const server = new ProtectedRecords(toServer, toClient, serverId, undefined);
    const header = { type: 25, version: 0xfefd, epoch: 1, sequenceNumber: 3, connectionId: serverId };
    const padded = { ...header, fragment: toServer.seal(header, Buffer.from('6869' + '17' + '000000', 'hex')) };
    expect(server.open(padded)).toEqual({ type: 23, content: Buffer.from('hi') });
    const zeros = { ...header, fragment: toServer.seal(header, Buffer.alloc(4)) };
    expect(server.open(zeros)).toBeUndefined();
  });

  it('refuses a record with another ID, or without one once negotiated, and writes the classic format to a client without an ID', () => {
    const server = new ProtectedRecords(toServer, toClient, serverId, Buffer.alloc(0));
    const stranger = new ProtectedRecords(toClient, toServer, undefined, Buffer.from('000000000000', 'hex'));
    const classic = new ProtectedRecords(toClient, toServer, undefined, undefined);
    const wrongId = parseDatagram(stranger.seal(23, 1, Buffer.from('x')), 6).records[0];
    const noId = parseDatagram(classic.seal(23, 1, Buffer.from('x'))).records[0];
    if (wrongId === undefined || noId === undefined) throw new Error('no record');
    expect(server.open(wrongId)).toBeUndefined();
    expect(server.open(noId)).toBeUndefined();
    expect(server.seal(23, 1, Buffer.from('x'))[0]).toBe(23);
  });
});
