/**
 * The notification attributes, one table for Write-Attributes, an Observe's own query, the GraphQL API
 * and the shell: LwM2M Core 1.1 section 5.1.2 (table "<NOTIFICATION> Class Attributes": pmin, pmax,
 * gt, lt, st, and epmin, epmax new in 1.1) and Core 1.2 section 5.1.2, which adds
 * - `edge` (0 or 1): notify on the falling (0) or rising (1) edge of a boolean resource;
 * - `con` (0 or 1): send the notifications non-confirmable (0) or confirmable (1);
 * - `hqmax`: how many historical notifications the client keeps for the server while it is away.
 *
 * Each attribute says the version that introduced it, whether it applies to a resource only (gt, lt,
 * st, edge) or to objects and instances as well, and the values it takes.
 *
 * Version rule: the 1.2 attributes are refused for a device registered below 1.2, with an error that
 * names them, rather than sent: a 1.0 or 1.1 client does not know them and would answer 4.00 to the
 * whole request or, worse, ignore them and leave the operator believing they were set. epmin and epmax
 * are sent to 1.0 devices as before.
 */

export const NOTIFICATION_ATTRIBUTE_NAMES = ['pmin', 'pmax', 'gt', 'lt', 'st', 'epmin', 'epmax', 'edge', 'con', 'hqmax'] as const;

export type NotificationAttributeName = (typeof NOTIFICATION_ATTRIBUTE_NAMES)[number];

/** Attributes under their protocol names; an absent one is left unchanged on the device. */
export type NotificationAttributes = { readonly [Name in NotificationAttributeName]?: number };

/** seconds: an integer from 0; number: any finite number; flag: 0 or 1; count: an integer from 0. */
type AttributeValues = 'seconds' | 'number' | 'flag' | 'count';

interface AttributeRule {
  readonly since: '1.0' | '1.1' | '1.2';
  readonly resourceOnly: boolean;
  readonly values: AttributeValues;
}

const RULES: Readonly<Record<NotificationAttributeName, AttributeRule>> = {
  pmin: { since: '1.0', resourceOnly: false, values: 'seconds' },
  pmax: { since: '1.0', resourceOnly: false, values: 'seconds' },
  gt: { since: '1.0', resourceOnly: true, values: 'number' },
  lt: { since: '1.0', resourceOnly: true, values: 'number' },
  st: { since: '1.0', resourceOnly: true, values: 'number' },
  epmin: { since: '1.1', resourceOnly: false, values: 'seconds' },
  epmax: { since: '1.1', resourceOnly: false, values: 'seconds' },
  edge: { since: '1.2', resourceOnly: true, values: 'flag' },
  con: { since: '1.2', resourceOnly: false, values: 'flag' },
  hqmax: { since: '1.2', resourceOnly: false, values: 'count' },
};

export function isNotificationAttributeName(name: string): name is NotificationAttributeName {
  return Object.hasOwn(RULES, name);
}

/** Whether the attribute applies to a resource (or resource instance) only, not to an object or instance. */
export function isResourceOnlyAttribute(name: NotificationAttributeName): boolean {
  return RULES[name].resourceOnly;
}

/** What is wrong with `value` for the attribute, or undefined when it is one it takes. */
export function attributeValueProblem(name: NotificationAttributeName, value: number): string | undefined {
  switch (RULES[name].values) {
    case 'seconds':
      return Number.isSafeInteger(value) && value >= 0 ? undefined : `${name} must be a whole number of seconds from 0`;
    case 'count':
      return Number.isSafeInteger(value) && value >= 0 ? undefined : `${name} must be a whole number from 0`;
    case 'flag':
      return value === 0 || value === 1 ? undefined : `${name} must be 0 or 1`;
    case 'number':
      return Number.isFinite(value) ? undefined : `${name} must be a finite number`;
  }
}

/** The attributes among `names` that a device registered with `lwm2mVersion` is not sent (see the header). */
export function attributesRefusedFor(lwm2mVersion: string, names: readonly NotificationAttributeName[]): NotificationAttributeName[] {
  const match = /^(\d+)\.(\d+)/.exec(lwm2mVersion);
  const below12 = match === null || Number(match[1]) < 1 || (Number(match[1]) === 1 && Number(match[2]) < 2);
  return below12 ? names.filter((name) => RULES[name].since === '1.2') : [];
}
