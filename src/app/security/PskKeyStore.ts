/**
 * The PSK lookups of the two DTLS servers: a handshake's PSK identity -> the device it is bound to ->
 * that device's key, opened from the sealed CSV value.
 *
 * - LwM2M server: the identity is the device's `lwm2m psk_id`, the key its `lwm2m psk_key`.
 * - Bootstrap server: the identity is the device's `external-c8y_BootstrapPskId` or its
 *   `bootstrap psk_id`, the key its `bootstrap psk_key` (LwM2M Core 1.1 section E.1.1: the Bootstrap-
 *   Server account's Security object instance holds the identity and key the client uses towards it).
 *
 * A key is opened only inside a lookup and handed to the DTLS server alone, which keeps it within its
 * handshake: no key reaches a log line, an event or an API. Only a PSK device's identity has a key;
 * an identity whose bytes are not the UTF-8 of a CSV identity matches nothing.
 */
import type { SecretSealer, SealedSecret } from '../../domain/SealedSecret.ts';
import type { DeviceRegistrationData } from '../../domain/devices/DeviceEvents.ts';
import type { BootstrapDeviceDirectory } from '../bootstrap/BootstrapDeviceDirectory.ts';
import type { Lwm2mPskIdentityIndex } from './Lwm2mPskIdentityIndex.ts';

/** The DTLS server's lookup (`DtlsServerOptions.pskLookup`). */
export type PskLookup = (identity: Buffer) => Promise<Buffer | undefined>;

export interface PskKeyStoreOptions {
  readonly lwm2mIdentities: Lwm2mPskIdentityIndex;
  readonly bootstrapDevices: BootstrapDeviceDirectory;
  readonly sealer: SecretSealer;
}

export class PskKeyStore {
  readonly #options: PskKeyStoreOptions;

  constructor(options: PskKeyStoreOptions) {
    this.#options = options;
  }

  /** The device an LwM2M server identity is bound to (whatever its security mode). */
  lwm2mDevice(identity: string): Promise<DeviceRegistrationData | undefined> {
    return this.#options.lwm2mIdentities.device(identity);
  }

  /** The device a bootstrap server identity is bound to. */
  bootstrapDevice(identity: string): Promise<DeviceRegistrationData | undefined> {
    return this.#options.bootstrapDevices.byPskIdentity(identity);
  }

  readonly lwm2mLookup: PskLookup = async (identity) => {
    const text = identityText(identity);
    if (text === undefined) return undefined;
    // From the identity view alone, not the device's stream: a stream read per handshake was most of
    // the lookup's cost, and the view, caught up to the log's head first, holds the key as the stream does.
    const device = await this.#options.lwm2mIdentities.keys(text);
    return device?.securityMode === 'PSK' ? this.#open(device.lwm2mPskKey) : undefined;
  };

  readonly bootstrapLookup: PskLookup = async (identity) => {
    const text = identityText(identity);
    if (text === undefined) return undefined;
    const device = await this.bootstrapDevice(text);
    return device === undefined ? undefined : this.#open(device.bootstrapPskKey);
  };

  #open(secret: SealedSecret | null): Buffer | undefined {
    if (secret === null) return undefined;
    const key = this.#options.sealer.open(secret);
    return Buffer.from(key.buffer, key.byteOffset, key.byteLength);
  }
}

/** The identity as text, when its bytes are exactly the UTF-8 of that text (RFC 4279 section 5.1). */
export function identityText(identity: Buffer): string | undefined {
  const text = identity.toString('utf8');
  return Buffer.from(text, 'utf8').equals(identity) ? text : undefined;
}
