/**
 * Events of a device's observations (LwM2M Core 1.1 section 6.4: Observe, Observe-Composite, Cancel
 * Observation), on the stream `observations-<endpoint>`. An observation is named by the CoAP token of
 * its Observe request (RFC 7641 section 3.2: notifications carry that token).
 */
export type ObservationCancelReason =
  /** Cancel Observation was requested (Core 1.1 section 6.4.2). */
  | 'cancel-requested'
  /**
   * Cancel Observation by Reset was requested: the server forgot the observation and answers its next
   * notification with a Reset (the passive cancel of RFC 7641 section 3.6).
   */
  | 'reset-requested'
  /** The device registered again: its observations end with the old registration (Core 1.1 section 6.2.1). */
  | 'new-registration'
  /** The device de-registered or its registration expired. */
  | 'registration-ended'
  /** The device answered a notification-carrying exchange with an error code (RFC 7641 section 3.2). */
  | 'error-notification';

export type ObservationEvent =
  | { readonly type: 'ObservationEstablished'; readonly data: ObservationEstablished }
  | { readonly type: 'ObservationCancelled'; readonly data: ObservationCancelled };

export interface ObservationEstablished {
  readonly endpoint: string;
  /** The token, hex. */
  readonly token: string;
  readonly paths: readonly string[];
  readonly composite: boolean;
  /** The registration the observation belongs to. */
  readonly registrationId: string;
  /** The Observe operation that established it. */
  readonly operationId: string;
  /**
   * The content format the Observe request asked for (its Accept; for an Observe-Composite also the
   * Content-Format of its path list) and its Uri-Query (notification attributes): a Cancel Observation
   * repeats them (RFC 7641 section 3.6). Absent in observations recorded before they were kept.
   */
  readonly format?: number;
  readonly query?: readonly string[];
  readonly establishedAt: string;
}

export interface ObservationCancelled {
  readonly endpoint: string;
  readonly token: string;
  readonly reason: ObservationCancelReason;
  readonly cancelledAt: string;
}

export const observationStreamPrefix = 'observations-';

export function observationStream(endpoint: string): string {
  return `${observationStreamPrefix}${endpoint}`;
}
