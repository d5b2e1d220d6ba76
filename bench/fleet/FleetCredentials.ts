/**
 * The fleet's names and PSK credentials, derived from the fleet's prefix and seed so that the
 * registration CSV written for a server and the simulator that later plays the devices agree without
 * sharing a file of keys. These keys are for load tests only: anyone who knows the seed knows them.
 */
import { createHmac } from 'node:crypto';

export function endpointName(prefix: string, index: number): string {
  return `${prefix}${index}`;
}

/** 16-byte PSK (RFC 4279 section 2; LwM2M Security object resource 5), HMAC-SHA256(seed, label) cut to 16 bytes. */
function derivedKey(seed: string, label: string): Buffer {
  return createHmac('sha256', seed).update(label).digest().subarray(0, 16);
}

/** The LwM2M server's PSK identity is the endpoint name, as the guide's CSV example does. */
export function lwm2mPsk(seed: string, endpoint: string): { readonly identity: string; readonly key: Buffer } {
  return { identity: endpoint, key: derivedKey(seed, `lwm2m:${endpoint}`) };
}

export function bootstrapPsk(seed: string, endpoint: string): { readonly identity: string; readonly key: Buffer } {
  return { identity: `${endpoint}-bs`, key: derivedKey(seed, `bootstrap:${endpoint}`) };
}
