/**
 * Who may fetch a stored firmware package: only the device whose update to it is running. A firmware
 * id is no secret (every viewer lists the repository), so knowing it grants nothing.
 * - CoAP (`coap://.../fw/<firmware id>`): the request must come from the address the device is
 *   registered from now and, when it came over DTLS, from a session with the PSK identity the device
 *   registered with. The port is not compared: a device's download client often has a socket of its
 *   own (and a NAT then gives it another port), while the address stays the device's.
 * - HTTP (`http://.../fw/<firmware id>/<token>`): HTTP carries no device identity, so the URI written
 *   to the device holds a per-update token (256 random bits); the update's event keeps it sealed, and
 *   it is recognised here by its keyed fingerprint, never stored in clear.
 * The grants are the updates under way in the log (`following`): a grant is made when an update is
 * requested and revoked when it ends, on every node that follows the log, whichever node drives the
 * update. So a device pulling through a balancer that sends it to another node than the one driving
 * its update gets the package there too (several nodes may share the event store).
 */
import type { SecretSealer } from '../../domain/SealedSecret.ts';
import type { CoapPeer } from '../../adapters/coap/CoapEndpoint.ts';
import { LiveView } from '../kernel/LiveView.ts';
import type { LogFeed } from '../kernel/LogFeed.ts';
import type { RegistrationLookup } from '../registration/RegistrationLookup.ts';
import { updatesUnderWay } from './FirmwareUpdatesUnderWay.ts';

export interface PackageGrant {
  readonly updateId: string;
  readonly endpoint: string;
  readonly firmwareId: string;
  /** The sealer's fingerprint of the HTTP access token; null when the update has none. */
  readonly tokenFingerprint: string | null;
}

export class FirmwarePackageAccess {
  readonly #registrations: Pick<RegistrationLookup, 'registration'>;
  readonly #sealer: SecretSealer;
  /** By firmware, then by update: each block of a package asks, so only that firmware's grants are looked at. */
  readonly #grants = new Map<string, Map<string, PackageGrant>>();

  constructor(registrations: Pick<RegistrationLookup, 'registration'>, sealer: SecretSealer) {
    this.#registrations = registrations;
    this.#sealer = sealer;
  }

  /** The grants of the updates under way, kept from the log by a live view on the process's feed; resolves once caught up. */
  static async following(feed: LogFeed, registrations: Pick<RegistrationLookup, 'registration'>, sealer: SecretSealer): Promise<FirmwarePackageAccess> {
    const access = new FirmwarePackageAccess(registrations, sealer);
    await LiveView.open(
      feed,
      updatesUnderWay('firmware package grants', (_stream, before, after) => {
        if (before?.request.updateId === after?.request.updateId) return;
        if (before) access.revoke(before.request);
        if (after) {
          const { updateId, endpoint, firmwareId, packageAccess } = after.request;
          access.grant({ updateId, endpoint, firmwareId, tokenFingerprint: packageAccess?.fingerprint ?? null });
        }
      }),
    );
    return access;
  }

  grant(grant: PackageGrant): void {
    let updates = this.#grants.get(grant.firmwareId);
    if (!updates) {
      updates = new Map();
      this.#grants.set(grant.firmwareId, updates);
    }
    updates.set(grant.updateId, grant);
  }

  revoke(grant: Pick<PackageGrant, 'updateId' | 'firmwareId'>): void {
    const updates = this.#grants.get(grant.firmwareId);
    updates?.delete(grant.updateId);
    if (updates?.size === 0) this.#grants.delete(grant.firmwareId);
  }

  /** Whether a CoAP request from `peer` (over DTLS with `pskIdentity`, or plain when null) may fetch the firmware. */
  allowsPeer(firmwareId: string, peer: CoapPeer, pskIdentity: string | null): boolean {
    for (const grant of this.#grants.get(firmwareId)?.values() ?? []) {
      const registration = this.#registrations.registration(grant.endpoint);
      if (!registration || registration.address !== peer.address) continue;
      if (pskIdentity === null || registration.pskIdentity === pskIdentity) return true;
    }
    return false;
  }

  /** Whether the token (as written in the URI) is that of a running update to the firmware. */
  allowsToken(firmwareId: string, token: string): boolean {
    if (token === '') return false;
    const fingerprint = this.#sealer.fingerprint(new TextEncoder().encode(token));
    for (const grant of this.#grants.get(firmwareId)?.values() ?? []) {
      if (grant.tokenFingerprint === fingerprint) return true;
    }
    return false;
  }
}
