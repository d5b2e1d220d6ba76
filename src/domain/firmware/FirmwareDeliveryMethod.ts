/**
 * Pull or push: the device says how it takes a package in Firmware Update Delivery Method
 * /5/0/9 (0 pull, 1 push, 2 both) and which protocols it pulls with in Firmware Update Protocol
 * Support /5/0/8 (0 CoAP, 1 CoAPS, 2 HTTP 1.1, 3 HTTPS 1.1, 4 CoAP over TCP, 5 CoAP over TLS; LwM2M
 * Core 1.1 Appendix E.6). The server must not give a Package URI of a protocol the device lacks.
 */
import type { FirmwareSource } from './FirmwareRepositoryEvents.ts';

export type DeliveryMethod = 'pull' | 'push';

export interface DeviceFirmwareCapabilities {
  /** /5/0/9; undefined when the device does not have it (an LwM2M 1.0 object 5: pull assumed, "CoAP is the default"). */
  readonly deliveryMethod: number | undefined;
  /** /5/0/8 instances; empty when the device does not have the resource (CoAP is the default). */
  readonly protocols: readonly number[];
}

export type DeliveryChoice =
  | { readonly ok: true; readonly method: DeliveryMethod; readonly packageUri: string | null }
  | { readonly ok: false; readonly reason: string };

const schemeProtocols: Readonly<Record<string, number>> = { coap: 0, coaps: 1, http: 2, https: 3, 'coap+tcp': 4, 'coaps+tcp': 5 };

/**
 * Prefers pull when the device can fetch the package with a protocol it has: the device then takes
 * the blocks at its own pace. `servedUris` are the URIs under which the service itself serves a
 * stored package (CoAP, and HTTP when it has an HTTP server), in order of preference.
 */
export function chooseDeliveryMethod(source: FirmwareSource, device: DeviceFirmwareCapabilities, servedUris: readonly string[]): DeliveryChoice {
  const method = device.deliveryMethod ?? 0;
  const canPull = method === 0 || method === 2;
  const canPush = method === 1 || method === 2;
  const protocols = device.protocols.length === 0 ? [0] : device.protocols;
  const pullable = (uri: string): boolean => {
    const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(uri)?.[1]?.toLowerCase();
    const protocol = scheme === undefined ? undefined : schemeProtocols[scheme];
    return protocol !== undefined && protocols.includes(protocol);
  };
  if (source.kind === 'external') {
    if (!canPull) return { ok: false, reason: 'the device only accepts push (/5/0/9 = 1) and the firmware is an external URL the service does not hold' };
    if (!pullable(source.url)) return { ok: false, reason: `the device does not support the protocol of ${source.url} (/5/0/8: ${protocols.join(', ')})` };
    return { ok: true, method: 'pull', packageUri: source.url };
  }
  if (canPull) {
    const uri = servedUris.find(pullable);
    if (uri !== undefined) return { ok: true, method: 'pull', packageUri: uri };
  }
  if (canPush) return { ok: true, method: 'push', packageUri: null };
  return { ok: false, reason: `the device pulls only (/5/0/9 = ${method}) with protocols the service does not serve (/5/0/8: ${protocols.join(', ')})` };
}

/** The URI a device is given to pull over HTTP: the package's URI with the update's access token as the last segment. */
export function packageUriWithToken(packageUri: string, token: string): string {
  return `${packageUri}/${encodeURIComponent(token)}`;
}
