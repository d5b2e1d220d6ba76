/**
 * DTLS session state across a restart, in a file of the data directory sealed under the master key
 * (AES-256-GCM, as every secret of the service): written on an orderly stop, read and deleted on the
 * next start. Deleted even when it cannot be used, so that an old state is never restored twice (a
 * crash after a start must not bring back sessions whose sequence numbers have moved on). A file sealed
 * under another master key, corrupt or too big is ignored with a warning: the devices then handshake again.
 */
import { renameSync, rmSync, statSync, readFileSync, writeFileSync } from 'node:fs';
import type { SecretSealer } from '../../domain/SealedSecret.ts';
import type { Logger } from '../logging/Logger.ts';
import { decodeDtlsSessions, encodeDtlsSessions } from './DtlsSessionState.ts';
import type { SavedDtlsSession, SavedDtlsSessions } from './DtlsSessionState.ts';

/** About 200,000 sessions: a bigger file was not written by this service. */
const MAX_FILE_BYTES = 64 * 1024 * 1024;

export function writeSealedSessions(path: string, state: SavedDtlsSessions, sealer: SecretSealer): void {
  const sealed = sealer.seal(encodeDtlsSessions(state)).sealed;
  // Written aside and renamed, so that a stop interrupted mid-write leaves no half file to read.
  const partial = `${path}.partial`;
  writeFileSync(partial, sealed, { mode: 0o600 });
  renameSync(partial, path);
}

/** The sessions in the file, which is deleted; none when there is no file or it cannot be used. */
export function takeSealedSessions(path: string, sealer: SecretSealer, logger: Logger): readonly SavedDtlsSession[] {
  let size: number;
  try {
    size = statSync(path).size;
  } catch {
    return [];
  }
  try {
    if (size > MAX_FILE_BYTES) {
      logger.warn({ file: path, bytes: size, maxBytes: MAX_FILE_BYTES }, 'DTLS session state file too big, ignored: devices will handshake again');
      return [];
    }
    const text = readFileSync(path, 'utf8');
    let plaintext: Buffer;
    try {
      plaintext = Buffer.from(sealer.open({ sealed: text.trim(), fingerprint: '' }));
    } catch (error: unknown) {
      logger.warn({ file: path, reason: error instanceof Error ? error.message : String(error) }, 'DTLS session state file cannot be opened, ignored: devices will handshake again');
      return [];
    }
    const decoded = decodeDtlsSessions(plaintext);
    if (!decoded.ok) {
      logger.warn({ file: path, reason: decoded.error.reason, offset: decoded.error.offset }, 'DTLS session state file is corrupt, ignored: devices will handshake again');
      return [];
    }
    logger.info({ file: path, sessions: decoded.value.sessions.length, savedAt: decoded.value.savedAt }, 'DTLS session state read');
    return decoded.value.sessions;
  } finally {
    rmSync(path, { force: true });
  }
}
