/**
 * Why a DDF document (LwM2M Core 1.1 Appendix D) was refused, and where: a DDF comes from users
 * (upload, CLI import), so every refusal names the element and, where the XML gives one, the line and
 * column, so that the author can fix the file.
 */
export type DdfErrorCode =
  /** The document is above the size limit (`MAX_DDF_BYTES`). */
  | 'too-large'
  /** A `<!DOCTYPE` or `<!ENTITY` declaration: refused outright (entity expansion attacks). */
  | 'doctype'
  /** Not well-formed XML. */
  | 'not-xml'
  /** Well-formed XML whose root element is not `<LWM2M>`. */
  | 'not-lwm2m'
  /** An `<LWM2M>` document without any `<Object>`. */
  | 'no-object'
  /** A required element or attribute is absent or empty (ObjectID, Name, Item@ID). */
  | 'missing-element'
  /** An object or resource id that is not an integer from 0 to 65535. */
  | 'invalid-id'
  /** A value outside its enumeration (MultipleInstances, Mandatory, a version, markup in a name). */
  | 'invalid-value'
  | 'unknown-type'
  | 'unknown-operations'
  /** A single-valued element written twice in the same parent. */
  | 'duplicate-element'
  | 'duplicate-resource'
  /** The same object id and version defined twice in one document. */
  | 'duplicate-object';

export interface DdfError {
  readonly code: DdfErrorCode;
  /** What is wrong and where, for a person: "Object 1 (ObjectID 3303), Item 5700: unknown Type ...". */
  readonly message: string;
  /** 1-based position in the document: of the syntax error, or of the start tag of the element at fault. */
  readonly line?: number;
  readonly column?: number;
  /** The element at fault, e.g. `LWM2M/Object[1]/Resources/Item[ID=5700]/Type`. */
  readonly element?: string;
  /** 1-based position of the `<Object>` among the document's objects. */
  readonly objectIndex?: number;
  readonly objectId?: number;
  readonly resourceId?: number;
}
