/**
 * What a client's answer to Bootstrap-Discover of "/" (LwM2M Core 1.1 section 6.1, Bootstrap-Discover;
 * new in 1.1) says about the Security instances it keeps through Bootstrap-Delete: its LwM2M
 * Bootstrap-Server accounts, which a Bootstrap-Write of /0 must not land on.
 *
 * The answer is link format (RFC 6690): `</>;lwm2m=1.1,</0/0>;uri="coaps://bs.example.com",
 * </0/1>;ssid=101;uri="coaps://dm.example.com",</1/0>;ssid=101,...`. Core 1.1 has the client give
 * each Security instance of an LwM2M Server account its Short Server ID (`ssid`) and each Server
 * instance the same `ssid`; a Bootstrap-Server account has no Server instance, and its links carry no
 * `ssid` (clients such as Leshan's) or one that no Server instance has (clients that report /0/x/10
 * of every instance). Either way it is a Security instance whose `ssid` names no Server instance.
 *
 * Conservative by design: a client that lists its Security instances without attributes has all of
 * them counted as kept, so the writes avoid every one (the others are deleted anyway, so avoiding
 * them costs nothing). Links that are not object instances (`</>`, `</3>`, `</3/0/1>`) are ignored.
 *
 * Parsing untrusted text never throws; a broken answer is a typed failure and the caller keeps its
 * assumption.
 */
import { linkParam, parseLinkFormat } from '../lwm2m/LinkFormat.ts';

export type DiscoveredAccounts =
  | {
      readonly ok: true;
      /** Ids of the Security instances the client keeps, ascending. */
      readonly bootstrapAccounts: readonly number[];
    }
  | { readonly ok: false; readonly reason: string };

/** Instance ids are 0 to 65534, as in the object links of Register; 65535 is reserved. */
const maxInstanceId = 65534;

export function discoverBootstrapAccounts(answer: string): DiscoveredAccounts {
  const parsed = parseLinkFormat(answer);
  if (!parsed.ok) return { ok: false, reason: `the Bootstrap-Discover answer is not link format: ${parsed.error.reason} at ${parsed.error.offset}` };
  const security: { readonly instanceId: number; readonly ssid: string | null }[] = [];
  const serverIds = new Set<string>();
  for (const link of parsed.links) {
    const match = /^\/(0|1)\/(0|[1-9]\d{0,4})$/.exec(link.target);
    if (match === null || Number(match[2]) > maxInstanceId) continue;
    const ssid = linkParam(link, 'ssid') ?? null;
    if (match[1] === '0') security.push({ instanceId: Number(match[2]), ssid });
    else if (ssid !== null) serverIds.add(ssid);
  }
  const kept = security.filter(({ ssid }) => ssid === null || !serverIds.has(ssid)).map(({ instanceId }) => instanceId);
  return { ok: true, bootstrapAccounts: [...new Set(kept)].sort((a, b) => a - b) };
}
