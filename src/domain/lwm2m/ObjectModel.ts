/**
 * The LwM2M object model: what an object definition (a DDF file, LwM2M Core 1.1 Appendix D) says
 * about an object and its resources. Codecs use it to type values; the shell and the validation rules
 * use it to refuse operations a resource does not allow.
 */

/** Resource data types, LwM2M Core 1.1 Appendix C. 'none' is for executable resources. */
export type ResourceType =
  | 'string'
  | 'integer'
  | 'unsigned'
  | 'float'
  | 'boolean'
  | 'opaque'
  | 'time'
  | 'objlnk'
  | 'corelnk'
  | 'none';

/** The operations a resource allows: Read, Write, Execute, in the DDF's letters; '' for none. */
export type ResourceOperations = '' | 'R' | 'W' | 'RW' | 'E';

export interface ResourceModel {
  readonly id: number;
  readonly name: string;
  readonly operations: ResourceOperations;
  readonly multiple: boolean;
  readonly mandatory: boolean;
  readonly type: ResourceType;
  /** The DDF's RangeEnumeration as written, e.g. "0..100", "1-7" or an enumeration; '' if none. */
  readonly rangeEnumeration: string;
  readonly units: string;
  readonly description: string;
}

export interface ObjectModel {
  readonly id: number;
  readonly name: string;
  readonly description: string;
  /** The object's own version (ObjectVersion), "1.0" when the DDF does not say. */
  readonly version: string;
  /** The LwM2M enabler version the object was written for (LWM2MVersion), "1.0" when absent. */
  readonly lwm2mVersion: string;
  readonly urn: string;
  readonly multiple: boolean;
  readonly mandatory: boolean;
  readonly resources: readonly ResourceModel[];
}

/** Looks up object models by id and version: the codecs' and the shell's view of the world. */
export interface ObjectModelCatalog {
  /** The model of an object at a version, or the newest known version when none is given. */
  object(objectId: number, version?: string): ObjectModel | undefined;
}

export function findResource(object: ObjectModel, resourceId: number): ResourceModel | undefined {
  return object.resources.find((resource) => resource.id === resourceId);
}

export function isReadable(resource: ResourceModel): boolean {
  return resource.operations === 'R' || resource.operations === 'RW';
}

export function isWritable(resource: ResourceModel): boolean {
  return resource.operations === 'W' || resource.operations === 'RW';
}

export function isExecutable(resource: ResourceModel): boolean {
  return resource.operations === 'E';
}

/**
 * Orders object versions ("1.0" < "1.2" < "2.0" < "10.0"), numerically by major then minor: the form
 * of ObjectVersion and of the `ver` link attribute (LwM2M Core 1.1, "Object Versioning").
 */
export function compareObjectVersions(a: string, b: string): number {
  const [aMajor = 0, aMinor = 0] = a.split('.').map(Number);
  const [bMajor = 0, bMinor = 0] = b.split('.').map(Number);
  return aMajor - bMajor || aMinor - bMinor;
}
