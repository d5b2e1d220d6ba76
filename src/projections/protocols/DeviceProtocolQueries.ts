/** Reads the device protocols read model: the list of protocols, and one version with its resources and their functionalities. */
import type { DatabaseSync, SQLOutputValue } from 'node:sqlite';
import { compareObjectVersions, type ResourceModel } from '../../domain/lwm2m/ObjectModel.ts';
import { objectModelFromJson } from '../../domain/lwm2m/ObjectModelJson.ts';
import type { Functionality, ResourceFunctionalities } from '../../domain/protocols/Functionality.ts';
import { withFunctionality } from '../../domain/protocols/Functionality.ts';
import { prepared } from '../PreparedStatements.ts';

export interface DeviceProtocolSummary {
  readonly objectId: number;
  /** Of the newest version. */
  readonly name: string;
  readonly description: string;
  readonly latestVersion: string;
  /** Oldest first. */
  readonly versions: readonly string[];
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export interface ProtocolResourceView extends ResourceModel {
  readonly functionalities: ResourceFunctionalities;
}

export interface DeviceProtocolVersionView {
  readonly objectId: number;
  readonly version: string;
  readonly lwm2mVersion: string;
  readonly name: string;
  readonly description: string;
  readonly urn: string;
  readonly multiple: boolean;
  readonly mandatory: boolean;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  /** Every resource of the model, by id, each with the functionalities set on it (none: {}). */
  readonly resources: readonly ProtocolResourceView[];
}

export class DeviceProtocolQueries {
  readonly #db: DatabaseSync;

  constructor(db: DatabaseSync) {
    this.#db = db;
  }

  /** Every protocol, by object id. */
  list(): readonly DeviceProtocolSummary[] {
    return prepared(this.#db, 'SELECT * FROM device_protocols ORDER BY object_id')
      .all()
      .map((row) => this.#summary(row));
  }

  summary(objectId: number): DeviceProtocolSummary | undefined {
    const row = prepared(this.#db, 'SELECT * FROM device_protocols WHERE object_id = ?').get(objectId);
    return row === undefined ? undefined : this.#summary(row);
  }

  /** One version of an object's protocol; its newest version when `version` is absent. */
  get(objectId: number, version?: string | null): DeviceProtocolVersionView | undefined {
    const wanted = version ?? this.summary(objectId)?.latestVersion;
    if (wanted === undefined) return undefined;
    const row = prepared(this.#db, 'SELECT * FROM device_protocol_versions WHERE object_id = ? AND version = ?').get(objectId, wanted);
    if (row === undefined) return undefined;
    const parsed = objectModelFromJson(JSON.parse(String(row['model'])));
    if (!parsed.ok) throw new Error(`device protocol ${objectId} ${wanted} in the read model is unreadable: ${parsed.error}`);
    const functionalities = new Map<number, ResourceFunctionalities>();
    for (const f of prepared(this.#db, 'SELECT resource_id, functionality FROM device_protocol_functionalities WHERE object_id = ? AND version = ?').all(
      objectId,
      wanted,
    )) {
      const resourceId = Number(f['resource_id']);
      functionalities.set(resourceId, withFunctionality(functionalities.get(resourceId) ?? {}, JSON.parse(String(f['functionality'])) as Functionality));
    }
    const model = parsed.model;
    return {
      objectId,
      version: wanted,
      lwm2mVersion: model.lwm2mVersion,
      name: model.name,
      description: model.description,
      urn: model.urn,
      multiple: model.multiple,
      mandatory: model.mandatory,
      createdAt: new Date(String(row['created_at'])),
      updatedAt: new Date(String(row['updated_at'])),
      resources: [...model.resources]
        .sort((a, b) => a.id - b.id)
        .map((resource) => ({ ...resource, functionalities: functionalities.get(resource.id) ?? {} })),
    };
  }

  #summary(row: Record<string, SQLOutputValue>): DeviceProtocolSummary {
    const objectId = Number(row['object_id']);
    const versions = prepared(this.#db, 'SELECT version FROM device_protocol_versions WHERE object_id = ?')
      .all(objectId)
      .map((v) => String(v['version']))
      .sort(compareObjectVersions);
    return {
      objectId,
      name: String(row['name']),
      description: String(row['description']),
      latestVersion: String(row['latest_version']),
      versions,
      createdAt: new Date(String(row['created_at'])),
      updatedAt: new Date(String(row['updated_at'])),
    };
  }
}
