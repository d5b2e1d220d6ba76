/**
 * When the server may send a device its queued operations (LwM2M Core 1.1 section 6.5, Queue Mode):
 * a registered device in plain U binding listens all the time; a device in queue mode listens only
 * for a while after each message it sends (Register, Update, notification, Send): at least CoAP's
 * MAX_TRANSMIT_WAIT, 93 s (RFC 7252 section 4.8.2), the awake time the 1.0 specification prescribes
 * and the default here.
 */
export interface Presence {
  readonly registered: boolean;
  readonly queueMode: boolean;
  /** The last message from the device, as an ISO time; null when none since registration. */
  readonly lastMessageAt: string | null;
}

export const defaultAwakeSeconds = 93;

export function isReachable(presence: Presence, now: Date, awakeSeconds = defaultAwakeSeconds): boolean {
  if (!presence.registered) return false;
  if (!presence.queueMode) return true;
  if (presence.lastMessageAt === null) return false;
  return now.getTime() - Date.parse(presence.lastMessageAt) < awakeSeconds * 1000;
}
