/** The firmware repository and firmware updates. */
import { gql } from './Document.ts';

export interface Firmware {
  readonly id: string;
  readonly name: string;
  readonly version: string;
  readonly kind: 'STORED' | 'EXTERNAL';
  readonly sha256: string | null;
  readonly size: number | null;
  readonly url: string | null;
  readonly addedAt: string;
}

const firmwareFields = 'id name version kind sha256 size url addedAt';

export const firmwaresQuery = gql<{ firmwares: readonly Firmware[] }>(`query Firmwares { firmwares { ${firmwareFields} } }`);

export const addFirmwareMutation = gql<{ addFirmware: Firmware }, { name: string; version: string; url: string | null; binaryBase64: string | null }>(
  `mutation AddFirmware($name: String!, $version: String!, $url: String, $binaryBase64: String) { addFirmware(name: $name, version: $version, url: $url, binaryBase64: $binaryBase64) { ${firmwareFields} } }`,
);

export const removeFirmwareMutation = gql<{ removeFirmware: boolean }, { id: string }>('mutation RemoveFirmware($id: ID!) { removeFirmware(id: $id) }');

export interface FirmwareUpdate {
  readonly id: string;
  readonly name: string;
  readonly version: string;
  readonly method: string;
  readonly status: string;
  readonly step: string | null;
  readonly steps: ReadonlyArray<{ step: string; at: string }>;
  readonly reason: string | null;
  readonly requestedAt: string;
  readonly endedAt: string | null;
}

const updateFields = 'id name version method status step steps { step at } reason requestedAt endedAt';

export const firmwareUpdatesQuery = gql<{ firmwareUpdates: readonly FirmwareUpdate[] }, { endpoint: string }>(
  `query FirmwareUpdates($endpoint: String!) { firmwareUpdates(endpoint: $endpoint) { ${updateFields} } }`,
);

export const firmwareUpdateChanged = gql<{ firmwareUpdateChanged: FirmwareUpdate }, { endpoint: string }>(
  `subscription FirmwareUpdateChanged($endpoint: String) { firmwareUpdateChanged(endpoint: $endpoint) { ${updateFields} } }`,
);

export const startFirmwareUpdateMutation = gql<{ startFirmwareUpdate: FirmwareUpdate }, { endpoint: string; firmwareId: string }>(
  `mutation StartFirmwareUpdate($endpoint: String!, $firmwareId: ID!) { startFirmwareUpdate(endpoint: $endpoint, firmwareId: $firmwareId) { ${updateFields} } }`,
);
