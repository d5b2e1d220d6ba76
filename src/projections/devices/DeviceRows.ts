/** The mapping between rows of the `devices` table and DeviceViews. */
import type { DatabaseSync, SQLOutputValue } from 'node:sqlite';
import type { DeviceStatus, DeviceView, RedactedRegistration } from './DeviceView.ts';
import { prepared } from '../PreparedStatements.ts';

export function readRegistration(db: DatabaseSync, endpoint: string): RedactedRegistration | undefined {
  const row = prepared(db, 'SELECT registration FROM devices WHERE endpoint = ?').get(endpoint);
  return row ? (JSON.parse(String(row['registration'])) as RedactedRegistration) : undefined;
}

export function toDeviceView(row: Record<string, SQLOutputValue>): DeviceView {
  return {
    ...(JSON.parse(String(row['registration'])) as RedactedRegistration),
    status: String(row['status']) as DeviceStatus,
    createdAt: new Date(String(row['created_at'])),
    updatedAt: new Date(String(row['updated_at'])),
    revision: Number(row['revision']),
    position: Number(row['position']),
  };
}
