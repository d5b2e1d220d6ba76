/**
 * Events of a device's firmware updates, on the stream `firmware-<endpoint>`: an update is
 * requested (which firmware, pull or push), progresses step by step as the service drives object 5
 * (LwM2M Core 1.1 Appendix E.6) and the device reports its State and Update Result, and ends as
 * succeeded (the device reported Update Result 1 after Update, with the version it then runs) or
 * failed (the Update Result's meaning, or a timeout).
 */
import type { SealedSecret } from '../SealedSecret.ts';
import type { DeliveryMethod } from './FirmwareDeliveryMethod.ts';

/**
 * The steps, in the order they happen:
 * - `observing`: State /5/0/3 and Update Result /5/0/5 are observed;
 * - `delivering-package`: the Package URI /5/0/1 (pull) or the Package /5/0/0 (push) is being written;
 *   from here on, a failure result is this update's (one observed before is a former attempt's);
 * - `package-delivered`: the device accepted the write;
 * - `downloaded`: the device reported State 2 (Downloaded);
 * - `update-executed`: the device accepted Update /5/0/2;
 * - `update-reported-success`: the device reported Update Result 1 (Core 1.1 E.6, "Firmware updated
 *   successfully"); the version it reports in /3/0/3 then completes the update, whatever it is.
 * Updates recorded by earlier versions of the service may also hold `new-version-reported` (the
 * device reported the firmware's label in /3/0/3 or /5/0/7, which success then required).
 */
export type FirmwareUpdateStep = 'observing' | 'delivering-package' | 'package-delivered' | 'downloaded' | 'update-executed' | 'update-reported-success' | 'new-version-reported';

export interface FirmwareUpdateRequested {
  readonly updateId: string;
  readonly endpoint: string;
  readonly firmwareId: string;
  readonly name: string;
  readonly version: string;
  readonly method: DeliveryMethod;
  /**
   * The URI written to /5/0/1 when pulling, without its access token (see `packageAccess`); null when
   * pushing.
   */
  readonly packageUri: string | null;
  /**
   * The access token of a pull over HTTP from the service itself, sealed: the URI written to the device
   * is `packageUri` with the token as one more path segment, and the service serves the package only
   * with it. Null otherwise (a CoAP pull is checked by the device's address, an external URL is not the
   * service's, a push needs none). Absent in updates recorded before tokens existed.
   */
  readonly packageAccess?: SealedSecret | null;
  readonly requestedBy: string;
  readonly requestedAt: string;
  /** When the update fails as timed out if it has not ended. */
  readonly deadline: string;
}

export interface FirmwareUpdateProgressed {
  readonly updateId: string;
  readonly step: FirmwareUpdateStep;
  readonly at: string;
}

export interface FirmwareUpdateSucceeded {
  readonly updateId: string;
  /** The firmware's version as the operator labelled it in the repository. */
  readonly version: string;
  /**
   * What the device reported in Firmware Version /3/0/3 after reporting success; it may differ from the
   * label (a mismatch is shown, not a failure). Null when the device could not be read; absent in
   * updates recorded before it was kept (success then required the device to report the label).
   */
  readonly reportedVersion?: string | null;
  readonly at: string;
}

export interface FirmwareUpdateFailed {
  readonly updateId: string;
  /** For a person: "integrity check failure for new downloaded package", "timed out while downloaded". */
  readonly reason: string;
  /** The device's Update Result /5/0/5 when it caused the failure, else null. */
  readonly updateResult: number | null;
  readonly at: string;
}

export type FirmwareUpdateEvent =
  | { readonly type: 'FirmwareUpdateRequested'; readonly data: FirmwareUpdateRequested }
  | { readonly type: 'FirmwareUpdateProgressed'; readonly data: FirmwareUpdateProgressed }
  | { readonly type: 'FirmwareUpdateSucceeded'; readonly data: FirmwareUpdateSucceeded }
  | { readonly type: 'FirmwareUpdateFailed'; readonly data: FirmwareUpdateFailed };

export const firmwareUpdateStreamPrefix = 'firmware-';

export function firmwareUpdateStream(endpoint: string): string {
  return `${firmwareUpdateStreamPrefix}${endpoint}`;
}
