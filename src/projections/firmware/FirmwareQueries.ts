/** Reads the firmware read model: the repository's firmwares and each device's updates, newest first. */
import type { DatabaseSync } from 'node:sqlite';
import type { FirmwareUpdateStep } from '../../domain/firmware/FirmwareUpdateEvents.ts';
import { prepared } from '../PreparedStatements.ts';

export interface FirmwareView {
  readonly firmwareId: string;
  readonly name: string;
  readonly version: string;
  /** 'stored' (the service holds the binary) or 'external' (a URL). */
  readonly kind: string;
  readonly sha256: string | null;
  readonly size: number | null;
  readonly url: string | null;
  readonly addedBy: string;
  readonly addedAt: Date;
}

export type FirmwareUpdateStatus = 'running' | 'succeeded' | 'failed';

export interface FirmwareUpdateStepView {
  readonly step: FirmwareUpdateStep;
  readonly at: Date;
}

export interface FirmwareUpdateView {
  readonly updateId: string;
  readonly endpoint: string;
  readonly firmwareId: string;
  readonly name: string;
  readonly version: string;
  readonly method: string;
  readonly packageUri: string | null;
  readonly status: FirmwareUpdateStatus;
  /** The last step reached; null before the first. */
  readonly step: FirmwareUpdateStep | null;
  readonly steps: readonly FirmwareUpdateStepView[];
  readonly reason: string | null;
  readonly updateResult: number | null;
  /** The Firmware Version /3/0/3 the device reported after success; it may differ from `version`, the label. */
  readonly reportedVersion: string | null;
  readonly requestedBy: string;
  readonly requestedAt: Date;
  readonly deadline: Date;
  readonly endedAt: Date | null;
}

interface FirmwareRow {
  firmware_id: string;
  name: string;
  version: string;
  kind: string;
  sha256: string | null;
  size: number | null;
  url: string | null;
  added_by: string;
  added_at: string;
}

interface UpdateRow {
  update_id: string;
  endpoint: string;
  firmware_id: string;
  name: string;
  version: string;
  method: string;
  package_uri: string | null;
  status: FirmwareUpdateStatus;
  step: FirmwareUpdateStep | null;
  steps: string;
  reason: string | null;
  update_result: number | null;
  reported_version: string | null;
  requested_by: string;
  requested_at: string;
  deadline: string;
  ended_at: string | null;
}

export class FirmwareQueries {
  readonly #db: DatabaseSync;

  constructor(db: DatabaseSync) {
    this.#db = db;
  }

  firmwares(): readonly FirmwareView[] {
    const rows = prepared(this.#db, 'SELECT * FROM firmwares ORDER BY position').all() as unknown as FirmwareRow[];
    return rows.map(firmwareView);
  }

  firmware(firmwareId: string): FirmwareView | undefined {
    const row = prepared(this.#db, 'SELECT * FROM firmwares WHERE firmware_id = ?').get(firmwareId) as unknown as FirmwareRow | undefined;
    return row ? firmwareView(row) : undefined;
  }

  updates(endpoint: string, limit = 100): readonly FirmwareUpdateView[] {
    const rows = prepared(this.#db, 'SELECT * FROM firmware_updates WHERE endpoint = ? ORDER BY position DESC LIMIT ?').all(endpoint, limit) as unknown as UpdateRow[];
    return rows.map(updateView);
  }

  update(updateId: string): FirmwareUpdateView | undefined {
    const row = prepared(this.#db, 'SELECT * FROM firmware_updates WHERE update_id = ?').get(updateId) as unknown as UpdateRow | undefined;
    return row ? updateView(row) : undefined;
  }
}

function firmwareView(row: FirmwareRow): FirmwareView {
  return {
    firmwareId: row.firmware_id,
    name: row.name,
    version: row.version,
    kind: row.kind,
    sha256: row.sha256,
    size: row.size,
    url: row.url,
    addedBy: row.added_by,
    addedAt: new Date(row.added_at),
  };
}

function updateView(row: UpdateRow): FirmwareUpdateView {
  const steps = JSON.parse(row.steps) as Array<{ step: FirmwareUpdateStep; at: string }>;
  return {
    updateId: row.update_id,
    endpoint: row.endpoint,
    firmwareId: row.firmware_id,
    name: row.name,
    version: row.version,
    method: row.method,
    packageUri: row.package_uri,
    status: row.status,
    step: row.step,
    steps: steps.map((each) => ({ step: each.step, at: new Date(each.at) })),
    reason: row.reason,
    updateResult: row.update_result,
    reportedVersion: row.reported_version,
    requestedBy: row.requested_by,
    requestedAt: new Date(row.requested_at),
    deadline: new Date(row.deadline),
    endedAt: row.ended_at === null ? null : new Date(row.ended_at),
  };
}
