/**
 * The firmware repository: which firmwares exist. A name and version identify a firmware for an
 * operator, so the same pair cannot be added twice; an external URL must be one a device can fetch
 * (the schemes of Firmware Update Protocol Support /5/0/8, LwM2M Core 1.1 Appendix E.6).
 */
import type { Decider } from '../Decider.ts';
import { DomainError } from '../DomainError.ts';
import type { FirmwareAdded, FirmwareRemoved, FirmwareRepositoryEvent, FirmwareSource } from './FirmwareRepositoryEvents.ts';

export type FirmwareRepositoryCommand =
  // Each command is the fact it records once checked (the name and version then trimmed).
  | ({ readonly type: 'AddFirmware' } & FirmwareAdded)
  | ({ readonly type: 'RemoveFirmware' } & FirmwareRemoved);

export interface FirmwareRepositoryState {
  readonly firmwares: ReadonlyMap<string, FirmwareAdded>;
}

/** URI schemes of the protocols in /5/0/8: CoAP, CoAPS, HTTP 1.1, HTTPS 1.1, CoAP over TCP and TLS. */
export const firmwareUriSchemes = ['coap', 'coaps', 'http', 'https', 'coap+tcp', 'coaps+tcp'] as const;

const sha256Pattern = /^[0-9a-f]{64}$/;

export class FirmwareRepositoryError extends DomainError {}

export const firmwareRepositoryDecider: Decider<FirmwareRepositoryCommand, FirmwareRepositoryEvent, FirmwareRepositoryState> = {
  initialState: { firmwares: new Map() },

  decide(command, state) {
    switch (command.type) {
      case 'AddFirmware': {
        if (state.firmwares.has(command.firmwareId)) throw new FirmwareRepositoryError('CONFLICT', `firmware ${command.firmwareId} already exists`);
        const name = command.name.trim();
        const version = command.version.trim();
        if (name === '' || version === '') throw new FirmwareRepositoryError('BAD_USER_INPUT', 'a firmware needs a name and a version');
        for (const firmware of state.firmwares.values()) {
          if (firmware.name === name && firmware.version === version) {
            throw new FirmwareRepositoryError('CONFLICT', `firmware ${name} ${version} already exists (${firmware.firmwareId})`, { firmwareId: firmware.firmwareId });
          }
        }
        checkSource(command.source);
        return [{ type: 'FirmwareAdded', data: { firmwareId: command.firmwareId, name, version, source: command.source, addedBy: command.addedBy, addedAt: command.addedAt } }];
      }
      case 'RemoveFirmware':
        if (!state.firmwares.has(command.firmwareId)) throw new FirmwareRepositoryError('NOT_FOUND', `no firmware ${command.firmwareId}`);
        return [{ type: 'FirmwareRemoved', data: { firmwareId: command.firmwareId, removedBy: command.removedBy, removedAt: command.removedAt } }];
    }
  },

  evolve(state, event) {
    const firmwares = new Map(state.firmwares);
    switch (event.type) {
      case 'FirmwareAdded':
        firmwares.set(event.data.firmwareId, event.data);
        break;
      case 'FirmwareRemoved':
        firmwares.delete(event.data.firmwareId);
        break;
    }
    return { firmwares };
  },
};

function checkSource(source: FirmwareSource): void {
  if (source.kind === 'stored') {
    if (!sha256Pattern.test(source.sha256)) throw new FirmwareRepositoryError('BAD_USER_INPUT', 'a stored firmware needs its SHA-256 as 64 lowercase hex digits');
    if (!Number.isInteger(source.size) || source.size <= 0) throw new FirmwareRepositoryError('BAD_USER_INPUT', 'a stored firmware cannot be empty');
    return;
  }
  const scheme = /^([a-z][a-z0-9+.-]*):\/\/[^/\s]+/i.exec(source.url)?.[1]?.toLowerCase();
  if (scheme === undefined || !(firmwareUriSchemes as readonly string[]).includes(scheme)) {
    throw new FirmwareRepositoryError('BAD_USER_INPUT', `the firmware URL must be absolute with one of the schemes ${firmwareUriSchemes.join(', ')}`);
  }
  // Package URI /5/0/1 is a string of at most 255 bytes (object 5, resource 1).
  if (Buffer.byteLength(source.url) > 255) throw new FirmwareRepositoryError('BAD_USER_INPUT', 'the firmware URL is longer than the 255 bytes of Package URI /5/0/1');
}
