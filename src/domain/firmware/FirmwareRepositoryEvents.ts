/**
 * Events of the firmware repository for object 5 updates (LwM2M Core 1.1 Appendix E.6), on the one
 * stream `firmwares`: a firmware is added — its binary stored by the service under the data directory
 * with its SHA-256, or an external URL the device fetches itself — and removed.
 */

/** Where a firmware's package comes from. */
export type FirmwareSource =
  | { readonly kind: 'stored'; readonly fileName: string; readonly sha256: string; readonly size: number }
  | { readonly kind: 'external'; readonly url: string };

export interface FirmwareAdded {
  readonly firmwareId: string;
  readonly name: string;
  readonly version: string;
  readonly source: FirmwareSource;
  readonly addedBy: string;
  readonly addedAt: string;
}

export interface FirmwareRemoved {
  readonly firmwareId: string;
  readonly removedBy: string;
  readonly removedAt: string;
}

export type FirmwareRepositoryEvent =
  | { readonly type: 'FirmwareAdded'; readonly data: FirmwareAdded }
  | { readonly type: 'FirmwareRemoved'; readonly data: FirmwareRemoved };

/**
 * Outside every per-device category (`<category>-<endpoint>`): as `firmware-repository` it was also
 * the update stream `firmware-<endpoint>` of a device named `repository`.
 */
export const firmwareRepositoryStream = 'firmwares';
