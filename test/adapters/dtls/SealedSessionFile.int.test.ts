import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { AesGcmSecretSealer } from '../../../src/adapters/crypto/AesGcmSecretSealer.ts';
import type { SavedDtlsSessions } from '../../../src/adapters/dtls/DtlsSessionState.ts';
import { takeSealedSessions, writeSealedSessions } from '../../../src/adapters/dtls/SealedSessionFile.ts';
import type { Logger } from '../../../src/adapters/logging/Logger.ts';
import { savedSession } from './support/SavedSessionFixture.ts';

const dir = mkdtempSync(join(tmpdir(), 'hub-dtls-state-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const sealer = new AesGcmSecretSealer(randomBytes(32));
const keyBlock = Buffer.alloc(40, 0xab);
const state: SavedDtlsSessions = {
  savedAt: new Date('2026-12-07T01:00:00Z'),
  sessions: [savedSession({ keyBlock })],
};

function capturedLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  return { logger: pino({ level: 'debug' }, sink), lines };
}

describe('the sealed DTLS session state file', () => {
  it('is written sealed with mode 0600, read back once, and deleted by the read', () => {
    const file = join(dir, 'once.sealed');
    writeSealedSessions(file, state, sealer);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const text = readFileSync(file, 'utf8');
    expect(text).not.toContain('device-1');
    expect(Buffer.from(text, 'base64url').includes(keyBlock)).toBe(false);
    const { logger, lines } = capturedLogger();
    expect(takeSealedSessions(file, sealer, logger)).toEqual(state.sessions);
    expect(existsSync(file)).toBe(false);
    expect(takeSealedSessions(file, sealer, logger)).toEqual([]);
    // Keys never reach the log.
    expect(lines.join('')).not.toContain(keyBlock.toString('hex'));
    expect(lines.join('')).not.toContain(keyBlock.toString('base64'));
  });

  it('is ignored with a warning, and deleted, when sealed under another master key', () => {
    const file = join(dir, 'other-key.sealed');
    writeSealedSessions(file, state, new AesGcmSecretSealer(randomBytes(32)));
    const { logger, lines } = capturedLogger();
    expect(takeSealedSessions(file, sealer, logger)).toEqual([]);
    expect(existsSync(file)).toBe(false);
    expect(lines.join('')).toContain('sealed under another master key');
  });

  it('is ignored with a warning, and deleted, when altered or not sealed at all', () => {
    const file = join(dir, 'altered.sealed');
    writeSealedSessions(file, state, sealer);
    const bytes = Buffer.from(readFileSync(file, 'utf8'), 'base64url');
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 1;
    writeFileSync(file, bytes.toString('base64url'));
    const { logger, lines } = capturedLogger();
    expect(takeSealedSessions(file, sealer, logger)).toEqual([]);
    expect(existsSync(file)).toBe(false);
    expect(lines.join('')).toContain('failed authentication');

    writeFileSync(file, 'not a sealed state');
    expect(takeSealedSessions(file, sealer, logger)).toEqual([]);
    expect(existsSync(file)).toBe(false);
  });

  it('is ignored with a warning, and deleted, when it opens but does not decode', () => {
    const file = join(dir, 'corrupt.sealed');
    writeFileSync(file, sealer.seal(Buffer.from([1, 0, 0, 0, 0, 0, 0, 0, 0, 2])).sealed);
    const { logger, lines } = capturedLogger();
    expect(takeSealedSessions(file, sealer, logger)).toEqual([]);
    expect(existsSync(file)).toBe(false);
    expect(lines.join('')).toContain('DTLS session state file is corrupt');
  });
});
