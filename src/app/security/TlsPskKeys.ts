/**
 * The PSK keys of the TLS ports (CoAP over TLS, RFC 8323), for the same accounts as the DTLS ports
 * (PskKeyStore.ts): the LwM2M server's by `lwm2m psk_id` (PSK devices), the bootstrap server's by
 * `external-c8y_BootstrapPskId`, else `bootstrap psk_id`.
 *
 * Why a second lookup: OpenSSL asks node:tls for a key inside the handshake, and its `pskCallback`
 * must answer synchronously. So the accounts' identities and sealed keys are held in memory, caught up
 * from the log (`prepare`) before each handshake starts; a key is opened only inside a lookup and goes
 * to the TLS engine alone. A decommissioned device is as unknown as one never imported, and an imported
 * one counts once its import is committed (`committedDeviceEvents`).
 */
import type { SecretSealer, SealedSecret } from '../../domain/SealedSecret.ts';
import type { DeviceEvent, DeviceRegistrationData } from '../../domain/devices/DeviceEvents.ts';
import { committedDeviceEvents } from '../devices/DeviceImportCommits.ts';
import type { EventStore } from '../../adapters/eventstore/EventStore.ts';

/** What a TLS-PSK lookup needs of a device's registration data. */
type PskAccount = Pick<DeviceRegistrationData, 'securityMode' | 'lwm2mPskId' | 'lwm2mPskKey' | 'bootstrapPskId' | 'bootstrapPskKey' | 'externalBootstrapPskId'>;

const PAGE = 10_000;

export class TlsPskKeys {
  readonly #store: EventStore;
  readonly #sealer: SecretSealer;
  readonly #accounts = new Map<string, PskAccount>();
  readonly #byLwm2mIdentity = new Map<string, string>();
  readonly #byBootstrapIdentity = new Map<string, string>();
  readonly #byExternalBootstrapIdentity = new Map<string, string>();
  #position = 0;
  #catchingUp: Promise<void> = Promise.resolve();

  constructor(store: EventStore, sealer: SecretSealer) {
    this.#store = store;
    this.#sealer = sealer;
  }

  /** Catches up with the log; the lookups then answer for every device up to its head. */
  prepare(): Promise<void> {
    // A failed read fails this handshake only; the next one starts again from the same position.
    this.#catchingUp = this.#catchingUp.catch(() => undefined).then(async () => {
      const head = await this.#store.headPosition();
      for await (const { endpoint, event, through } of committedDeviceEvents(this.#store, this.#position, PAGE)) {
        this.#apply(endpoint, event);
        this.#position = through;
      }
      this.#position = Math.max(this.#position, head);
    });
    return this.#catchingUp;
  }

  /** The key of an LwM2M server identity: a PSK device's `lwm2m psk_key`; null when none. */
  readonly lwm2mKey = (identity: string): Buffer | null => {
    const account = this.#account(this.#byLwm2mIdentity, identity);
    return account?.securityMode === 'PSK' && account.lwm2mPskId === identity ? this.#open(account.lwm2mPskKey) : null;
  };

  /** The key of a bootstrap server identity: the `bootstrap psk_key` of the device it names; null when none. */
  readonly bootstrapKey = (identity: string): Buffer | null => {
    const external = this.#account(this.#byExternalBootstrapIdentity, identity);
    if (external?.externalBootstrapPskId === identity) return this.#open(external.bootstrapPskKey);
    const account = this.#account(this.#byBootstrapIdentity, identity);
    return account?.bootstrapPskId === identity ? this.#open(account.bootstrapPskKey) : null;
  };

  #account(index: Map<string, string>, identity: string): PskAccount | undefined {
    const endpoint = index.get(identity);
    return endpoint === undefined ? undefined : this.#accounts.get(endpoint);
  }

  #apply(endpoint: string, event: DeviceEvent): void {
    const before = this.#accounts.get(endpoint);
    let after: PskAccount | undefined;
    if (event.type === 'DeviceRegistrationImported') after = event.data.registration;
    else if (event.type === 'DeviceRegistrationUpdated' && before !== undefined) after = { ...before, ...event.data.changes };
    if (before !== undefined) {
      unindex(this.#byLwm2mIdentity, before.lwm2mPskId, endpoint);
      unindex(this.#byBootstrapIdentity, before.bootstrapPskId, endpoint);
      unindex(this.#byExternalBootstrapIdentity, before.externalBootstrapPskId, endpoint);
      this.#accounts.delete(endpoint);
    }
    if (after === undefined) return;
    const { securityMode, lwm2mPskId, lwm2mPskKey, bootstrapPskId, bootstrapPskKey, externalBootstrapPskId } = after;
    this.#accounts.set(endpoint, { securityMode, lwm2mPskId, lwm2mPskKey, bootstrapPskId, bootstrapPskKey, externalBootstrapPskId });
    if (lwm2mPskId !== null) this.#byLwm2mIdentity.set(lwm2mPskId, endpoint);
    if (bootstrapPskId !== null) this.#byBootstrapIdentity.set(bootstrapPskId, endpoint);
    if (externalBootstrapPskId !== null) this.#byExternalBootstrapIdentity.set(externalBootstrapPskId, endpoint);
  }

  #open(secret: SealedSecret | null): Buffer | null {
    if (secret === null) return null;
    const key = this.#sealer.open(secret);
    return Buffer.from(key.buffer, key.byteOffset, key.byteLength);
  }
}

function unindex(index: Map<string, string>, identity: string | null, endpoint: string): void {
  if (identity !== null && index.get(identity) === endpoint) index.delete(identity);
}
