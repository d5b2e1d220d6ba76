/**
 * What the firmware package routes (CoAP and HTTP) need of the application, declared here so that the
 * routes depend on these two narrow interfaces and the application's firmware repository and package
 * access implement them, not the other way round.
 */
import type { CoapPeer } from '../coap/CoapEndpoint.ts';

/** The stored packages' binaries. */
export interface FirmwarePackageSource {
  /** Undefined when no firmware of that id is stored. */
  binary(firmwareId: string): Promise<Uint8Array | undefined>;
}

/** Who may fetch a package: only the device whose update to it is running. */
export interface FirmwarePackageGate {
  /** The device on this CoAP peer (and PSK identity, null on the plain port) runs an update to the firmware. */
  allowsPeer(firmwareId: string, peer: CoapPeer, pskIdentity: string | null): boolean;
  /** The token is the one of the running update to the firmware (HTTP pull). */
  allowsToken(firmwareId: string, token: string): boolean;
}
