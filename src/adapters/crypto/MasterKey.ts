/**
 * Finds the master key that seals secrets: LWM2M_HUB_MASTER_KEY (64 hex digits or base64 of 32 bytes),
 * else the file `master.key` in the data directory, created with mode 0600 on first start.
 *
 * The data directory also keeps `master.key.id`, the key id of the key that sealed its data: starting
 * with another key is refused with a clear error instead of producing garbage when secrets are opened.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AesGcmSecretSealer, SealingError } from './AesGcmSecretSealer.ts';

export interface MasterKeyResult {
  readonly sealer: AesGcmSecretSealer;
  /** Where the key came from, for the start-up log (never the key itself). */
  readonly source: 'environment' | 'file' | 'generated';
  readonly keyFile: string;
}

export function loadMasterKey(dataDir: string, env: NodeJS.ProcessEnv): MasterKeyResult {
  mkdirSync(dataDir, { recursive: true });
  const keyFile = join(dataDir, 'master.key');
  const idFile = join(dataDir, 'master.key.id');
  let key: Buffer;
  let source: MasterKeyResult['source'];
  const fromEnv = env['LWM2M_HUB_MASTER_KEY'];
  if (fromEnv !== undefined && fromEnv !== '') {
    key = parseKey(fromEnv, 'LWM2M_HUB_MASTER_KEY');
    source = 'environment';
  } else if (existsSync(keyFile)) {
    key = parseKey(readFileSync(keyFile, 'utf8').trim(), keyFile);
    source = 'file';
  } else {
    if (existsSync(idFile)) {
      throw new SealingError(
        `the data directory holds secrets sealed under a master key, but neither LWM2M_HUB_MASTER_KEY nor ${keyFile} is there`,
      );
    }
    key = randomBytes(32);
    writeFileSync(keyFile, key.toString('hex') + '\n', { mode: 0o600, flag: 'wx' });
    source = 'generated';
  }
  const sealer = new AesGcmSecretSealer(key);
  const keyId = sealer.keyId.toString('hex');
  if (existsSync(idFile)) {
    const expected = readFileSync(idFile, 'utf8').trim();
    if (expected !== keyId) {
      throw new SealingError(
        `the master key (from ${source === 'environment' ? 'LWM2M_HUB_MASTER_KEY' : keyFile}) is not the one that sealed this data directory's secrets (key id ${keyId}, expected ${expected})`,
      );
    }
  } else {
    writeFileSync(idFile, keyId + '\n', { mode: 0o600 });
  }
  return { sealer, source, keyFile };
}

function parseKey(text: string, where: string): Buffer {
  if (/^[0-9a-fA-F]{64}$/.test(text)) return Buffer.from(text, 'hex');
  const decoded = Buffer.from(text, 'base64');
  if (decoded.length === 32 && /^[A-Za-z0-9+/_-]+={0,2}$/.test(text)) return decoded;
  throw new SealingError(`${where}: the master key must be 64 hex digits or the base64 of 32 bytes`);
}
