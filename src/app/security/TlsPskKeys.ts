/**
 * The PSK keys of the TLS ports (CoAP over TLS, RFC 8323), for the same accounts as the DTLS ports
 * (PskKeyStore.ts): the LwM2M server's by `lwm2m psk_id` (PSK devices), the bootstrap server's by
 * `external-c8y_BootstrapPskId`, else `bootstrap psk_id`.
 *
 * Why a second lookup: OpenSSL asks node:tls for a key inside the handshake, and its `pskCallback`
 * must answer synchronously. So the accounts' identities and sealed keys come from the process's live
 * view of device identities (DeviceIdentities.ts), which `prepare` waits on before each handshake
 * starts; a key is opened only inside a lookup and goes to the TLS engine alone. A decommissioned device
 * is as unknown as one never imported, and an imported one counts once its import is committed.
 */
import type { SecretSealer, SealedSecret } from '../../domain/SealedSecret.ts';
import { DeviceIdentities } from '../devices/DeviceIdentities.ts';
import type { DeviceIdentity, DeviceIdentityState, IndexedDeviceField } from '../devices/DeviceIdentities.ts';
import type { EventStore } from '../../adapters/eventstore/EventStore.ts';

export class TlsPskKeys {
  readonly #identities: DeviceIdentities;
  readonly #sealer: SecretSealer;
  #known: DeviceIdentityState | undefined;

  constructor(store: EventStore, sealer: SecretSealer) {
    this.#identities = DeviceIdentities.of(store);
    this.#sealer = sealer;
  }

  /** Waits until the view of device identities has seen the log through its head; the lookups then answer for every device up to it. */
  async prepare(): Promise<void> {
    this.#known = await this.#identities.current();
  }

  /** The key of an LwM2M server identity: a PSK device's `lwm2m psk_key`; null when none. */
  readonly lwm2mKey = (identity: string): Buffer | null => {
    const device = this.#device('lwm2mPskId', identity);
    return device?.securityMode === 'PSK' ? this.#open(device.lwm2mPskKey) : null;
  };

  /** The key of a bootstrap server identity: the `bootstrap psk_key` of the device it names; null when none. */
  readonly bootstrapKey = (identity: string): Buffer | null => {
    const device = this.#device('externalBootstrapPskId', identity) ?? this.#device('bootstrapPskId', identity);
    return device ? this.#open(device.bootstrapPskKey) : null;
  };

  #device(field: IndexedDeviceField, identity: string): DeviceIdentity | undefined {
    const endpoint = this.#known?.endpointOf.get(field)?.get(identity);
    const device = endpoint === undefined ? undefined : this.#known?.devices.get(endpoint);
    return device?.[field] === identity ? device : undefined;
  }

  #open(secret: SealedSecret | null): Buffer | null {
    if (secret === null) return null;
    const key = this.#sealer.open(secret);
    return Buffer.from(key.buffer, key.byteOffset, key.byteLength);
  }
}
