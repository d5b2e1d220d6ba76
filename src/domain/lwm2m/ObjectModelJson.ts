/**
 * Object models as JSON: the shipped catalog of core objects (`models/coreObjects.json`) and, later,
 * uploaded device protocols inside events. The JSON has the fields of `ObjectModel` one to one; reading
 * it back checks every field, since a JSON value's static type says nothing about its content.
 */
import type { JsonObject } from '../Json.ts';
import { LWM2M_VALUE_TYPES } from './LwM2mValue.ts';
import type { ObjectModel, ResourceModel, ResourceOperations, ResourceType } from './ObjectModel.ts';

export type ObjectModelJsonResult = { readonly ok: true; readonly model: ObjectModel } | { readonly ok: false; readonly error: string };

const RESOURCE_TYPES: ReadonlySet<string> = new Set<ResourceType>([...LWM2M_VALUE_TYPES, 'none']);
const OPERATIONS: ReadonlySet<string> = new Set<ResourceOperations>(['', 'R', 'W', 'RW', 'E']);

export function objectModelToJson(model: ObjectModel): JsonObject {
  return {
    id: model.id,
    name: model.name,
    description: model.description,
    version: model.version,
    lwm2mVersion: model.lwm2mVersion,
    urn: model.urn,
    multiple: model.multiple,
    mandatory: model.mandatory,
    resources: model.resources.map(resourceModelToJson),
  };
}

function resourceModelToJson(resource: ResourceModel): JsonObject {
  return {
    id: resource.id,
    name: resource.name,
    operations: resource.operations,
    multiple: resource.multiple,
    mandatory: resource.mandatory,
    type: resource.type,
    rangeEnumeration: resource.rangeEnumeration,
    units: resource.units,
    description: resource.description,
  };
}

class InvalidModelJson extends Error {}

export function objectModelFromJson(value: unknown): ObjectModelJsonResult {
  try {
    return { ok: true, model: readObject(value) };
  } catch (error: unknown) {
    if (error instanceof InvalidModelJson) return { ok: false, error: error.message };
    throw error;
  }
}

function readObject(value: unknown): ObjectModel {
  const json = record(value, 'object model');
  const resources = json['resources'];
  if (!Array.isArray(resources)) throw new InvalidModelJson('object model: "resources" is not an array');
  const id = identifier(json, 'id', 'object model');
  const where = `object ${id}`;
  return {
    id,
    name: text(json, 'name', where),
    description: text(json, 'description', where),
    version: text(json, 'version', where),
    lwm2mVersion: text(json, 'lwm2mVersion', where),
    urn: text(json, 'urn', where),
    multiple: flag(json, 'multiple', where),
    mandatory: flag(json, 'mandatory', where),
    resources: resources.map((resource: unknown, index: number) => readResource(resource, `${where}, resources[${index}]`)),
  };
}

function readResource(value: unknown, where: string): ResourceModel {
  const json = record(value, where);
  const operations = text(json, 'operations', where);
  const type = text(json, 'type', where);
  if (!isOperations(operations)) throw new InvalidModelJson(`${where}: "operations" is "${operations}"`);
  if (!isResourceType(type)) throw new InvalidModelJson(`${where}: "type" is "${type}"`);
  return {
    id: identifier(json, 'id', where),
    name: text(json, 'name', where),
    operations,
    multiple: flag(json, 'multiple', where),
    mandatory: flag(json, 'mandatory', where),
    type,
    rangeEnumeration: text(json, 'rangeEnumeration', where),
    units: text(json, 'units', where),
    description: text(json, 'description', where),
  };
}

function isOperations(value: string): value is ResourceOperations {
  return OPERATIONS.has(value);
}

function isResourceType(value: string): value is ResourceType {
  return RESOURCE_TYPES.has(value);
}

function record(value: unknown, where: string): Readonly<Record<string, unknown>> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new InvalidModelJson(`${where}: not a JSON object`);
  return value as Readonly<Record<string, unknown>>;
}

function text(json: Readonly<Record<string, unknown>>, key: string, where: string): string {
  const value = json[key];
  if (typeof value !== 'string') throw new InvalidModelJson(`${where}: "${key}" is not a string`);
  return value;
}

function flag(json: Readonly<Record<string, unknown>>, key: string, where: string): boolean {
  const value = json[key];
  if (typeof value !== 'boolean') throw new InvalidModelJson(`${where}: "${key}" is not a boolean`);
  return value;
}

function identifier(json: Readonly<Record<string, unknown>>, key: string, where: string): number {
  const value = json[key];
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 65535) {
    throw new InvalidModelJson(`${where}: "${key}" is not an integer from 0 to 65535`);
  }
  return value;
}
