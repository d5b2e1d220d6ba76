/**
 * Reads object definitions from a DDF document (LwM2M Core 1.1 Appendix D; schemas LWM2M.xsd 1.0 and
 * LWM2M-v1_1.xsd): one or several `<Object>` elements inside `<LWM2M>`. A DDF comes from users, so the
 * parser never throws: it returns the objects, or every problem it found with where it is.
 *
 * What it accepts where the schema is strict (the OMA registry itself is not always strict):
 * - whitespace around every value, a byte order mark, comments, and markup or CDATA inside
 *   descriptions (kept as written, CDATA unwrapped);
 * - element and enumeration values in any letter case (`Unsigned integer`, `CoreLnk`, `rw`);
 * - absent optional elements: LWM2MVersion and ObjectVersion default to "1.0" (schema 1.0 has
 *   neither), ObjectURN, RangeEnumeration, Units and descriptions to "", MultipleInstances to single,
 *   Mandatory to optional, Operations to none and Type to none.
 * What it refuses: see `DdfErrorCode`. A document type or entity declaration is refused before the XML
 * is parsed, wherever it appears (even inside CDATA, which costs nothing real: no DDF needs one), since
 * internal entities are the means of entity expansion ("billion laughs") attacks.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import type { DdfError, DdfErrorCode } from './DdfError.ts';
import type { ObjectModel, ResourceModel, ResourceOperations, ResourceType } from './ObjectModel.ts';

/**
 * Documents above 2 MiB of UTF-8 are refused before parsing. The largest object definition of the OMA
 * registry is 34 KB (its index of all objects, DDF.xml, is 252 KB): the limit leaves room for large
 * vendor files while bounding the work one upload can cause.
 */
export const MAX_DDF_BYTES = 2 * 1024 * 1024;

/** At most this many errors are reported; a generated file broken throughout would give thousands. */
export const MAX_DDF_ERRORS = 100;

export type DdfParseResult =
  | { readonly ok: true; readonly objects: readonly ObjectModel[] }
  | { readonly ok: false; readonly errors: readonly DdfError[] };

/** Object and resource ids are 16-bit (LwM2M Core 1.1 section 7.1; `xs:unsignedShort` in the schema). */
const MAX_ID = 65535;

const TYPES: ReadonlyMap<string, ResourceType> = new Map<string, ResourceType>([
  ['string', 'string'],
  ['integer', 'integer'],
  ['unsigned integer', 'unsigned'],
  ['float', 'float'],
  ['boolean', 'boolean'],
  ['opaque', 'opaque'],
  ['time', 'time'],
  ['objlnk', 'objlnk'],
  ['corelnk', 'corelnk'],
  ['none', 'none'],
  ['', 'none'],
]);

const OPERATIONS: ReadonlyMap<string, ResourceOperations> = new Map<string, ResourceOperations>([
  ['', ''],
  ['R', 'R'],
  ['W', 'W'],
  ['RW', 'RW'],
  ['E', 'E'],
]);

const OBJECT_PATH = 'LWM2M.Object';
const ITEM_PATH = 'LWM2M.Object.Resources.Item';
const DEFAULT_VERSION = '1.0';
const VERSION_PATTERN = /^\d{1,4}\.\d{1,4}$/;
const ID_PATTERN = /^\d{1,5}$/;
const DOCTYPE_PATTERN = /<!\s*(?:DOCTYPE|ENTITY)/i;
const RAW_TEXT_PATTERN = /<!\[CDATA\[([\s\S]*?)\]\]>|<!--[\s\S]*?-->|&(#x[0-9a-f]+|#[0-9]+|lt|gt|amp|quot|apos);/gi;
const CDATA_OR_COMMENT_PATTERN = /<!\[CDATA\[[\s\S]*?\]\]>|<!--[\s\S]*?-->/g;
const MARKUP_PATTERN = /</;

const OBJECT_TEXT_ELEMENTS = ['Name', 'Description1', 'Description2', 'ObjectID', 'ObjectURN', 'LWM2MVersion', 'ObjectVersion', 'MultipleInstances', 'Mandatory'];
const ITEM_TEXT_ELEMENTS = ['Name', 'Description', 'Operations', 'MultipleInstances', 'Mandatory', 'Type', 'RangeEnumeration', 'Units'];

const xmlParser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  parseTagValue: false,
  parseAttributeValue: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
  // Every text element is read raw and decoded here (`decodeRawText`): fast-xml-parser decodes only the
  // five named references, not numeric ones, and descriptions may hold markup that must be kept.
  processEntities: false,
  stopNodes: [
    ...OBJECT_TEXT_ELEMENTS.map((element) => `${OBJECT_PATH}.${element}`),
    ...ITEM_TEXT_ELEMENTS.map((element) => `${ITEM_PATH}.${element}`),
  ],
  isArray: (_tagName, jPath) => jPath === OBJECT_PATH || jPath === ITEM_PATH,
  captureMetaData: true,
});

const META: unknown = XMLParser.getMetaDataSymbol();

type XmlNode = { readonly [key: string]: unknown };

/** Where an element is, for error messages. */
interface Where {
  readonly label: string;
  readonly element: string;
  readonly offset: number | undefined;
  readonly objectIndex?: number;
  readonly objectId?: number;
  readonly resourceId?: number;
}

const INVALID = Symbol('invalid');
type FieldText = string | undefined | typeof INVALID;

class Problems {
  readonly list: DdfError[] = [];
  readonly #text: string;
  #lineStarts: number[] | undefined;

  constructor(text: string) {
    this.#text = text;
  }

  add(code: DdfErrorCode, where: Where, what: string): void {
    if (this.list.length >= MAX_DDF_ERRORS) return;
    const position = where.offset === undefined ? {} : this.#position(where.offset);
    const { label, offset: _offset, ...rest } = where;
    this.list.push({ code, message: `${label}: ${what}`, ...position, ...rest });
  }

  #position(offset: number): { line: number; column: number } {
    const starts = (this.#lineStarts ??= lineStarts(this.#text));
    let low = 0;
    let high = starts.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if ((starts[middle] ?? 0) <= offset) low = middle;
      else high = middle - 1;
    }
    return { line: low + 1, column: offset - (starts[low] ?? 0) + 1 };
  }
}

export function parseDdf(document: string): DdfParseResult {
  // A UTF-8 encoding is never shorter than the string's UTF-16 length: no need to count a huge one.
  const size = document.length > MAX_DDF_BYTES ? document.length : utf8Length(document);
  if (size > MAX_DDF_BYTES) {
    return refuse('too-large', `the document is at least ${size} bytes, above the limit of ${MAX_DDF_BYTES} bytes`);
  }
  const text = document.startsWith('\uFEFF') ? document.slice(1) : document;
  const problems = new Problems(text);
  const doctype = DOCTYPE_PATTERN.exec(text);
  if (doctype !== null) {
    const where: Where = { label: 'Document', element: 'DOCTYPE', offset: doctype.index };
    problems.add('doctype', where, 'a DOCTYPE or ENTITY declaration is not allowed in a DDF');
    return { ok: false, errors: problems.list };
  }
  const tree = parseXml(text);
  if (!tree.ok) return { ok: false, errors: [tree.error] };
  const objects = readDocument(tree.root, problems);
  return problems.list.length === 0 ? { ok: true, objects } : { ok: false, errors: problems.list };
}

function refuse(code: DdfErrorCode, what: string): DdfParseResult {
  return { ok: false, errors: [{ code, message: `Document: ${what}` }] };
}

function parseXml(text: string): { ok: true; root: unknown } | { ok: false; error: DdfError } {
  try {
    const validation = XMLValidator.validate(text);
    if (validation !== true) {
      const { msg, line, col } = validation.err;
      const position = typeof col === 'number' ? { line, column: col } : { line };
      return { ok: false, error: { code: 'not-xml', message: `Document is not well-formed XML: ${msg}`, ...position } };
    }
    const root: unknown = xmlParser.parse(text);
    return { ok: true, root };
  } catch (error: unknown) {
    // The validator passed, so this is a limit of the parser (such as its nesting depth).
    const reason = error instanceof Error ? error.message : String(error);
    return { ok: false, error: { code: 'not-xml', message: `Document could not be parsed: ${reason}` } };
  }
}

function readDocument(root: unknown, problems: Problems): ObjectModel[] {
  const document: Where = { label: 'Document', element: 'LWM2M', offset: undefined };
  if (!isNode(root) || !Object.hasOwn(root, 'LWM2M')) {
    const rootName = isNode(root) ? Object.keys(root)[0] : undefined;
    const found = rootName === undefined ? 'no root element' : `the root element <${rootName}>`;
    problems.add('not-lwm2m', { ...document, element: rootName ?? 'LWM2M' }, `expected the root element <LWM2M>, found ${found}`);
    return [];
  }
  if (Object.keys(root).length > 1 || Array.isArray(root['LWM2M'])) {
    // XML 1.0 section 2.1: a document has exactly one root element (fast-xml-parser's validator lets more pass).
    problems.add('not-xml', document, 'more than one root element');
    return [];
  }
  const lwm2m = root['LWM2M'];
  const objectNodes = isNode(lwm2m) && Array.isArray(lwm2m['Object']) ? (lwm2m['Object'] as unknown[]) : [];
  if (objectNodes.length === 0) {
    problems.add('no-object', { ...document, offset: offsetOf(lwm2m) }, '<LWM2M> holds no <Object>');
    return [];
  }
  const objects: ObjectModel[] = [];
  const seen = new Set<string>();
  objectNodes.forEach((node, position) => {
    const object = readObject(node, position + 1, problems);
    if (object === undefined) return;
    const key = `${object.id}@${object.version}`;
    if (seen.has(key)) {
      const where = objectWhere(position + 1, object.id, offsetOf(node));
      problems.add('duplicate-object', where, `object ${object.id} version ${object.version} is defined twice`);
    }
    seen.add(key);
    objects.push(object);
  });
  return objects;
}

function objectWhere(index: number, objectId: number | undefined, offset: number | undefined): Where {
  const element = `LWM2M/Object[${index}]`;
  if (objectId === undefined) return { label: `Object ${index}`, element, offset, objectIndex: index };
  return { label: `Object ${index} (ObjectID ${objectId})`, element, offset, objectIndex: index, objectId };
}

function readObject(value: unknown, index: number, problems: Problems): ObjectModel | undefined {
  const offset = offsetOf(value);
  const anonymous = objectWhere(index, undefined, offset);
  if (!isNode(value)) {
    problems.add('missing-element', anonymous, '<Object> holds no elements');
    return undefined;
  }
  const id = readId(readText(value, 'ObjectID', anonymous, problems), '<ObjectID>', anonymous, problems);
  const where = objectWhere(index, id, offset);
  const name = readName(value, where, problems);
  const description1 = readDescription(value, 'Description1', where, problems);
  const description2 = readDescription(value, 'Description2', where, problems);
  const version = readVersion(value, 'ObjectVersion', where, problems);
  const lwm2mVersion = readVersion(value, 'LWM2MVersion', where, problems);
  const urn = readText(value, 'ObjectURN', where, problems);
  const multiple = readChoice(value, 'MultipleInstances', 'Multiple', 'Single', where, problems);
  const mandatory = readChoice(value, 'Mandatory', 'Mandatory', 'Optional', where, problems);
  const resources = readResources(value, where, problems);
  if (id === undefined || name === undefined || version === undefined || lwm2mVersion === undefined) return undefined;
  if (urn === INVALID || multiple === undefined || mandatory === undefined || resources === undefined) return undefined;
  return {
    id,
    name,
    description: description2 === '' ? description1 : `${description1}\n\n${description2}`,
    version,
    lwm2mVersion,
    urn: urn ?? '',
    multiple,
    mandatory,
    resources,
  };
}

function readResources(object: XmlNode, where: Where, problems: Problems): ResourceModel[] | undefined {
  if (!Object.hasOwn(object, 'Resources')) return [];
  const container = object['Resources'];
  if (Array.isArray(container)) {
    problems.add('duplicate-element', elementOf(where, 'Resources'), '<Resources> appears more than once');
    return undefined;
  }
  const items = isNode(container) && Array.isArray(container['Item']) ? (container['Item'] as unknown[]) : [];
  const resources: ResourceModel[] = [];
  const ids = new Set<number>();
  let complete = true;
  items.forEach((item, position) => {
    const resource = readResource(item, position + 1, where, problems);
    if (resource === undefined) {
      complete = false;
      return;
    }
    if (ids.has(resource.id)) {
      const itemWhere = resourceWhere(where, position + 1, resource.id, offsetOf(item));
      problems.add('duplicate-resource', itemWhere, `resource id ${resource.id} is defined more than once`);
      complete = false;
    }
    ids.add(resource.id);
    resources.push(resource);
  });
  return complete ? resources : undefined;
}

function resourceWhere(object: Where, position: number, id: number | undefined, offset: number | undefined): Where {
  if (id === undefined) {
    return { ...object, label: `${object.label}, Item ${position}`, element: `${object.element}/Resources/Item[${position}]`, offset };
  }
  return {
    ...object,
    label: `${object.label}, Item ${id}`,
    element: `${object.element}/Resources/Item[ID=${id}]`,
    offset,
    resourceId: id,
  };
}

function readResource(value: unknown, position: number, object: Where, problems: Problems): ResourceModel | undefined {
  const anonymous = resourceWhere(object, position, undefined, offsetOf(value));
  if (!isNode(value)) {
    problems.add('missing-element', anonymous, '<Item> has no ID attribute and holds no elements');
    return undefined;
  }
  const idText = Object.hasOwn(value, '@ID') && typeof value['@ID'] === 'string' ? value['@ID'] : undefined;
  const id = readId(idText, 'the ID attribute', anonymous, problems);
  const where = resourceWhere(object, position, id, offsetOf(value));
  const name = readName(value, where, problems);
  const operations = readOperations(value, where, problems);
  const multiple = readChoice(value, 'MultipleInstances', 'Multiple', 'Single', where, problems);
  const mandatory = readChoice(value, 'Mandatory', 'Mandatory', 'Optional', where, problems);
  const type = readType(value, where, problems);
  const rangeEnumeration = readText(value, 'RangeEnumeration', where, problems);
  const units = readText(value, 'Units', where, problems);
  const description = readDescription(value, 'Description', where, problems);
  if (id === undefined || name === undefined || operations === undefined || type === undefined) return undefined;
  if (multiple === undefined || mandatory === undefined || rangeEnumeration === INVALID || units === INVALID) return undefined;
  return {
    id,
    name,
    operations,
    multiple,
    mandatory,
    type,
    rangeEnumeration: rangeEnumeration ?? '',
    units: units ?? '',
    description,
  };
}

function readId(text: FieldText, what: string, where: Where, problems: Problems): number | undefined {
  if (text === INVALID) return undefined;
  if (text === undefined || text === '') {
    problems.add('missing-element', where, `${what} is missing`);
    return undefined;
  }
  const id = ID_PATTERN.test(text) ? Number(text) : Number.NaN;
  if (!(id <= MAX_ID)) {
    problems.add('invalid-id', where, `${what} "${text}" is not an integer from 0 to ${MAX_ID}`);
    return undefined;
  }
  return id;
}

function readName(node: XmlNode, where: Where, problems: Problems): string | undefined {
  const name = readText(node, 'Name', where, problems);
  if (name === INVALID) return undefined;
  if (name === undefined || name === '') {
    problems.add('missing-element', elementOf(where, 'Name'), '<Name> is missing or empty');
    return undefined;
  }
  return name;
}

function readVersion(node: XmlNode, element: string, where: Where, problems: Problems): string | undefined {
  const version = readText(node, element, where, problems);
  if (version === INVALID) return undefined;
  if (version === undefined || version === '') return DEFAULT_VERSION;
  if (!VERSION_PATTERN.test(version)) {
    problems.add('invalid-value', elementOf(where, element), `<${element}> "${version}" is not a version such as "1.0"`);
    return undefined;
  }
  return version;
}

function readChoice(node: XmlNode, element: string, yes: string, no: string, where: Where, problems: Problems): boolean | undefined {
  const text = readText(node, element, where, problems);
  if (text === INVALID) return undefined;
  if (text === undefined || text === '') return false;
  const lower = text.toLowerCase();
  if (lower === yes.toLowerCase()) return true;
  if (lower === no.toLowerCase()) return false;
  problems.add('invalid-value', elementOf(where, element), `<${element}> "${text}" is neither ${yes} nor ${no}`);
  return undefined;
}

function readOperations(node: XmlNode, where: Where, problems: Problems): ResourceOperations | undefined {
  const text = readText(node, 'Operations', where, problems);
  if (text === INVALID) return undefined;
  const operations = OPERATIONS.get((text ?? '').toUpperCase());
  if (operations === undefined) {
    problems.add('unknown-operations', elementOf(where, 'Operations'), `<Operations> "${text}" is not one of R, W, RW, E or empty`);
  }
  return operations;
}

function readType(node: XmlNode, where: Where, problems: Problems): ResourceType | undefined {
  const text = readText(node, 'Type', where, problems);
  if (text === INVALID) return undefined;
  const type = TYPES.get((text ?? '').toLowerCase().replace(/\s+/g, ' '));
  if (type === undefined) {
    const known = 'String, Integer, Unsigned Integer, Float, Boolean, Opaque, Time, Objlnk, Corelnk or empty';
    problems.add('unknown-type', elementOf(where, 'Type'), `<Type> "${text}" is not one of ${known}`);
  }
  return type;
}

/** The trimmed text of a single-valued child element; undefined when absent, INVALID when reported. */
function readText(node: XmlNode, element: string, where: Where, problems: Problems): FieldText {
  if (!Object.hasOwn(node, element)) return undefined;
  const value = node[element];
  if (Array.isArray(value)) {
    problems.add('duplicate-element', elementOf(where, element), `<${element}> appears more than once`);
    return INVALID;
  }
  const raw = textOf(value);
  if (raw === undefined || MARKUP_PATTERN.test(raw.replace(CDATA_OR_COMMENT_PATTERN, ''))) {
    problems.add('invalid-value', elementOf(where, element), `<${element}> must hold text, not elements`);
    return INVALID;
  }
  return decodeRawText(raw).trim();
}

/** A description as written, markup kept and CDATA unwrapped; "" when absent or repeated. */
function readDescription(node: XmlNode, element: string, where: Where, problems: Problems): string {
  if (!Object.hasOwn(node, element)) return '';
  const value = node[element];
  if (Array.isArray(value)) {
    problems.add('duplicate-element', elementOf(where, element), `<${element}> appears more than once`);
    return '';
  }
  return decodeRawText(textOf(value) ?? '').trim();
}

function elementOf(where: Where, element: string): Where {
  return { ...where, element: `${where.element}/${element}` };
}

function textOf(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (!isNode(value)) return undefined;
  // An element with attributes: its text is under '#text'; child elements make it a non-text value.
  const childElements = Object.keys(value).filter((key) => !key.startsWith('@') && key !== '#text');
  if (childElements.length > 0) return undefined;
  const text = value['#text'];
  return typeof text === 'string' ? text : '';
}

/**
 * The text of a stop node as the parser leaves it (raw XML): CDATA sections unwrapped, comments
 * dropped, the predefined and numeric character references decoded outside CDATA (XML 1.0 section 4.6).
 */
function decodeRawText(raw: string): string {
  return raw.replace(RAW_TEXT_PATTERN, (match, cdata: string | undefined, reference: string | undefined) => {
    if (cdata !== undefined) return cdata;
    if (reference === undefined) return '';
    return decodeReference(reference) ?? match;
  });
}

function decodeReference(reference: string): string | undefined {
  const named: Readonly<Record<string, string>> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };
  const lower = reference.toLowerCase();
  if (!lower.startsWith('#')) return named[lower];
  const code = lower.startsWith('#x') ? Number.parseInt(lower.slice(2), 16) : Number.parseInt(lower.slice(1), 10);
  return code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff) ? String.fromCodePoint(code) : undefined;
}

function offsetOf(value: unknown): number | undefined {
  if (typeof META !== 'symbol' || !isNode(value)) return undefined;
  const meta: unknown = Reflect.get(value, META);
  if (typeof meta !== 'object' || meta === null) return undefined;
  const start: unknown = Reflect.get(meta, 'startIndex');
  return typeof start === 'number' ? start : undefined;
}

function isNode(value: unknown): value is XmlNode {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function lineStarts(text: string): number[] {
  const starts = [0];
  for (let index = text.indexOf('\n'); index !== -1; index = text.indexOf('\n', index + 1)) starts.push(index + 1);
  return starts;
}

/** The UTF-8 length of a string, counted without encoding it. */
function utf8Length(text: string): number {
  let bytes = 0;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff && index + 1 < text.length) {
      const next = text.charCodeAt(index + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 4;
        index++;
      } else bytes += 3;
    } else bytes += 3;
  }
  return bytes;
}
