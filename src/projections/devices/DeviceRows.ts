/** The mapping between rows of the `devices` table and DeviceViews. */
import type { SQLOutputValue } from 'node:sqlite';
import type { DeviceStatus, DeviceView, RedactedRegistration } from './DeviceView.ts';

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
