import { describe, expect, it } from 'vitest';
import { foldEvents } from '../../../src/domain/Decider.ts';
import type { FirmwareRepositoryCommand } from '../../../src/domain/firmware/FirmwareRepositoryDecider.ts';
import { firmwareRepositoryDecider } from '../../../src/domain/firmware/FirmwareRepositoryDecider.ts';
import type { FirmwareRepositoryEvent } from '../../../src/domain/firmware/FirmwareRepositoryEvents.ts';

const at = '2026-11-25T08:00:00.000Z';
const sha256 = 'a'.repeat(64);
const add: Extract<FirmwareRepositoryCommand, { type: 'AddFirmware' }> = {
  type: 'AddFirmware',
  firmwareId: 'f1',
  name: 'app',
  version: '2.0',
  source: { kind: 'stored', fileName: 'f1.bin', sha256, size: 10 },
  addedBy: 'user:t',
  addedAt: at,
};
const added: FirmwareRepositoryEvent = { type: 'FirmwareAdded', data: { firmwareId: 'f1', name: 'app', version: '2.0', source: add.source, addedBy: 'user:t', addedAt: at } };

function decide(events: readonly FirmwareRepositoryEvent[], command: FirmwareRepositoryCommand): FirmwareRepositoryEvent[] {
  return firmwareRepositoryDecider.decide(command, foldEvents(firmwareRepositoryDecider, events));
}

describe('firmware repository decider', () => {
  it('adds a stored firmware and an external one', () => {
    expect(decide([], add)).toEqual([added]);
    const external = decide([], { ...add, source: { kind: 'external', url: 'coaps://fw.example.com/app-2.0.bin' } });
    expect(external[0]).toMatchObject({ data: { source: { kind: 'external', url: 'coaps://fw.example.com/app-2.0.bin' } } });
  });

  it('refuses the same name and version twice, and the same id', () => {
    expect(() => decide([added], { ...add, firmwareId: 'f2' })).toThrow(expect.objectContaining({ code: 'CONFLICT' }));
    expect(() => decide([added], { ...add, version: '3.0' })).toThrow(expect.objectContaining({ code: 'CONFLICT' }));
    expect(decide([added], { ...add, firmwareId: 'f2', version: '3.0' })).toHaveLength(1);
  });

  it('refuses what a device could not use', () => {
    const bad = (command: Partial<typeof add>) => () => decide([], { ...add, ...command });
    expect(bad({ name: ' ' })).toThrow(expect.objectContaining({ code: 'BAD_USER_INPUT' }));
    expect(bad({ source: { kind: 'stored', fileName: 'f', sha256: 'xyz', size: 1 } })).toThrow(/SHA-256/);
    expect(bad({ source: { kind: 'stored', fileName: 'f', sha256, size: 0 } })).toThrow(/empty/);
    expect(bad({ source: { kind: 'external', url: 'ftp://h/x' } })).toThrow(/schemes/);
    expect(bad({ source: { kind: 'external', url: '/relative' } })).toThrow(/schemes/);
    expect(bad({ source: { kind: 'external', url: `coap://h/${'x'.repeat(250)}` } })).toThrow(/255 bytes/);
  });

  it('removes a firmware once; its name and version are free again', () => {
    const removed: FirmwareRepositoryEvent = { type: 'FirmwareRemoved', data: { firmwareId: 'f1', removedBy: 'user:t', removedAt: at } };
    expect(decide([added], { type: 'RemoveFirmware', firmwareId: 'f1', removedBy: 'user:t', removedAt: at })).toEqual([removed]);
    expect(() => decide([added, removed], { type: 'RemoveFirmware', firmwareId: 'f1', removedBy: 'user:t', removedAt: at })).toThrow(expect.objectContaining({ code: 'NOT_FOUND' }));
    expect(decide([added, removed], { ...add, firmwareId: 'f2' })).toHaveLength(1);
  });
});
