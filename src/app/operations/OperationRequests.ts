/**
 * How each LwM2M operation goes on the wire (LwM2M Transport 1.1, the CoAP mapping of the
 * Device Management and Information Reporting interfaces, Core 1.1 sections 6.3 and 6.4), and what
 * its response means:
 *
 * | operation          | CoAP                                   | payload / options                      |
 * |--------------------|----------------------------------------|----------------------------------------|
 * | read               | GET path                               | Accept                                 |
 * | discover           | GET path[?depth=N]                     | Accept: link-format (40)               |
 * | write-replace      | PUT path                               | Content-Format, the node               |
 * | write-partial      | POST path                              | Content-Format, the node               |
 * | write-attributes   | PUT path?pmin=..&pmax=..               | none (Core 1.1 section 5.1.2)          |
 * | execute            | POST path                              | text/plain arguments (section 5.4.2)   |
 * | create             | POST object path                       | Content-Format, the new instance       |
 * | delete             | DELETE path                            |                                        |
 * | observe            | GET path[?pmin=..&pmax=..], Observe 0  | Accept                                 |
 * | cancel-observation | the Observe again with Observe 1 and its token: every other option identical (RFC 7641 section 3.6) | |
 * | cancel-observation of an observe-composite | FETCH root, Observe 1, the observation's token | SenML paths, Content-Format and Accept of the Observe-Composite (Transport 1.1, Information Reporting interface) |
 * | cancel-observation by reset | nothing: the next notification is answered with RST (RFC 7641 section 3.6) | |
 * | read-composite     | FETCH root                             | SenML paths ("/" for every object), Accept |
 * | observe-composite  | FETCH root, Observe 0                  | SenML paths, Accept                    |
 * | write-composite    | iPATCH root                            | SenML values                           |
 *
 * Operation content (the JSON of `OperationSpec.content`, typed there by the operation's kind):
 * - writes, create, write-composite: `{ "values": [{ "path": "/3/0/14", "type": "string", "text": "+02" }] }`;
 *   in the event, a value may refer to what must not be stored there instead of holding it (a package
 *   of the firmware repository, a sealed text): ContentReferences.ts resolves those before a request
 *   is built;
 * - execute: the argument string (`0='on',1`) or null;
 * - write-attributes: `{ "pmin": 10, "pmax": 60, "gt": 30.5, "lt": 5, "st": 0.5, "epmin": 1, "epmax": 100 }`
 *   and, for a device registered with 1.2, `"edge": 1, "con": 1, "hqmax": 10` (any subset; a null value
 *   removes the attribute, written as the bare name; NotificationAttributes.ts has the names, values
 *   and the version rule);
 * - observe: null, or the notification attributes of this observation in the Observe request's own
 *   query, `{ "pmin": 10, "gt": 30.5 }` (LwM2M Core 1.2 section 5.1.1: attributes given with an
 *   Observe apply to it alone); no null values there;
 * - discover: null, or `{ "depth": 0..3 }`, how many levels below the path the answer lists (LwM2M
 *   Core 1.2 section 6.3.2, the `depth` query parameter);
 * - cancel-observation: null (a request with Observe 1), or `{ "reset": true }`: the passive cancel,
 *   no request; the observation is forgotten and its next notification answered with a Reset.
 *
 * `OperationSpec.format`, when the operator chose one, replaces the format chosen from the
 * registration; it must be one `usableContentFormats` lists for the operation.
 *
 * An operation is checked once, before it is queued (`validateOperation`): its content parsed against
 * its kind (`parseOperation`), its paths, format, values and attributes checked. The request builder
 * then reads the typed content as it is; only what depends on the device (its version, its formats)
 * is decided there.
 */
import type { JsonValue } from '../../domain/Json.ts';
import type { AttributeContent, DiscoverDepth, OperationSpec, UncheckedOperation, WrittenValue, WrittenValues } from '../../domain/operations/OperationEvents.ts';
import { writesValues } from '../../domain/operations/OperationEvents.ts';
import { formatPath, parseCompositePath, parsePath } from '../../domain/lwm2m/LwM2mPath.ts';
import type { CompositePath, LwM2mPath } from '../../domain/lwm2m/LwM2mPath.ts';
import type { ObjectModelCatalog } from '../../domain/lwm2m/ObjectModel.ts';
import { findResource } from '../../domain/lwm2m/ObjectModel.ts';
import type { PathValue } from '../../domain/lwm2m/LwM2mValue.ts';
import { LWM2M_VALUE_TYPES } from '../../domain/lwm2m/LwM2mValue.ts';
import type { LwM2mValueType } from '../../domain/lwm2m/LwM2mValue.ts';
import { parseTypedValue } from '../../domain/lwm2m/TypedValueText.ts';
import { decodeContent, decodeEntries, encodeContent, encodeEntries, encodePaths, entriesToNode, nodeToEntries } from '../../domain/lwm2m/content/ContentCodecs.ts';
import { CONTENT_FORMAT, chooseContentFormat, contentFormatName, usableContentFormats } from '../../domain/lwm2m/content/ContentFormat.ts';
import type { ContentOperation } from '../../domain/lwm2m/content/ContentFormat.ts';
import { parseLinkFormat } from '../../domain/lwm2m/LinkFormat.ts';
import { NOTIFICATION_ATTRIBUTE_NAMES, attributeValueProblem, attributesRefusedFor, isNotificationAttributeName } from '../../domain/lwm2m/NotificationAttributes.ts';
import type { NotificationAttributeName } from '../../domain/lwm2m/NotificationAttributes.ts';
import { lwm2mValueToJson } from '../../domain/lwm2m/LwM2mValueJson.ts';
import type { CoapMethod } from '../../adapters/coap/CoapMessage.ts';
import { OptionNumber, stringOptions } from '../../adapters/coap/CoapMessage.ts';
import type { IncomingCoapResponse, OutgoingCoapRequest } from '../../adapters/coap/CoapEndpoint.ts';

/** What the server knows of the device from its registration. */
export interface DeviceProfile {
  readonly rootPath: string;
  readonly lwm2mVersion: string;
  readonly contentFormats: readonly number[];
}

export type Built<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly reason: string };

/** The depths of a Discover, LwM2M Core 1.2 section 6.3.2: the path itself (0) down to resource instances (3). */
const MAX_DISCOVER_DEPTH = 3;

/** What a Cancel Observation repeats of the Observe that established the observation (RFC 7641 section 3.6). */
export interface ObservationRequest {
  readonly paths: readonly string[];
  readonly composite: boolean;
  /** The Accept (and for a composite the Content-Format) the Observe carried. */
  readonly format: number | undefined;
  /** The Observe's Uri-Query: its notification attributes. */
  readonly query: readonly string[];
}

/** The content format an operation negotiates (Accept or Content-Format); undefined when none. */
export function contentOperationOf(spec: Pick<UncheckedOperation, 'kind' | 'paths'>): ContentOperation | undefined {
  const first = spec.paths[0];
  switch (spec.kind) {
    case 'read':
    case 'observe':
      return first === undefined ? undefined : { kind: 'read', path: parsePath(first) };
    case 'write-replace':
    case 'write-partial':
    case 'create':
      return first === undefined ? undefined : { kind: 'write', path: parsePath(first) };
    case 'read-composite':
    case 'observe-composite':
    case 'write-composite':
      return { kind: 'composite' };
    case 'discover':
    case 'write-attributes':
    case 'execute':
    case 'delete':
    case 'cancel-observation':
      return undefined;
  }
}

/** The first format to use for the operation on this device: the operator's choice, else the best the registration allows. */
export function initialFormat(spec: OperationSpec, device: DeviceProfile): number | undefined {
  const operation = contentOperationOf(spec);
  if (operation === undefined) return undefined;
  return spec.format ?? chooseContentFormat(device.lwm2mVersion, device.contentFormats, operation);
}

/** Whether a Cancel Observation asks for the passive cancel: no request, a Reset to the next notification. */
export function cancelsByReset(spec: OperationSpec): boolean {
  return spec.kind === 'cancel-observation' && spec.content !== null;
}

/** Checks an operation as requested (paths, format, content) before it is queued. */
export function validateOperation(requested: UncheckedOperation, catalog: ObjectModelCatalog): Built<void> {
  if (requested.paths.length === 0) return { ok: false, reason: 'an operation needs at least one path' };
  const composite = requested.kind === 'read-composite' || requested.kind === 'observe-composite' || requested.kind === 'write-composite';
  // Cancel Observation names the paths of the observation it ends: several for an Observe-Composite.
  if (!composite && requested.kind !== 'cancel-observation' && requested.paths.length !== 1) return { ok: false, reason: `${requested.kind} takes exactly one path` };
  // The root "/" is a target of Read-Composite and Observe-Composite only (and so of the cancel of the latter).
  const rootAllowed = requested.kind === 'read-composite' || requested.kind === 'observe-composite' || requested.kind === 'cancel-observation';
  for (const path of requested.paths) {
    const parsed = rootAllowed ? tryParseCompositePath(path) : tryParsePath(path);
    if (!parsed.ok) return parsed;
  }
  const spec = parseOperation(requested);
  if (!spec.ok) return spec;
  if (!writesValues(spec.value)) return { ok: true, value: undefined };
  const values = valuesOf(spec.value.content, catalog);
  return values.ok ? { ok: true, value: undefined } : values;
}

/**
 * The operation with its format and content parsed against its kind: a format only where the
 * operation negotiates one, the values of a write, the attributes (each a known name, its value one
 * Core 1.2 section 5.1.2 allows), a Discover's depth, the execute arguments, the way of a Cancel
 * Observation; nothing for the other kinds. A value referring to a package or a sealed text is
 * parsed once its stand-in replaced it (ContentReferences.ts).
 */
export function parseOperation(requested: UncheckedOperation): Built<OperationSpec> {
  const { kind, paths, content } = requested;
  const formatChecked = validateFormat(requested);
  if (!formatChecked.ok) return formatChecked;
  // Spread only into the kinds that negotiate a format: validateFormat refused it for the others.
  const format = requested.format === undefined ? {} : { format: requested.format };
  switch (kind) {
    case 'write-replace':
    case 'write-partial':
    case 'create':
    case 'write-composite': {
      const values = writtenValuesOf(content);
      return values.ok ? { ok: true, value: { kind, paths, content: values.value, ...format } } : values;
    }
    case 'write-attributes': {
      const attributes = attributeContentOf(content);
      return attributes.ok ? { ok: true, value: { kind, paths, content: attributes.value } } : attributes;
    }
    case 'execute':
      return content === null || typeof content === 'string' ? { ok: true, value: { kind, paths, content } } : { ok: false, reason: 'execute arguments must be a string' };
    case 'observe': {
      const attributes = observeContentOf(content);
      return attributes.ok ? { ok: true, value: { kind, paths, content: attributes.value, ...format } } : attributes;
    }
    case 'discover': {
      const depth = discoverDepthOf(content);
      return depth.ok ? { ok: true, value: { kind, paths, content: depth.value } } : depth;
    }
    case 'cancel-observation':
      if (content === null) return { ok: true, value: { kind, paths, content } };
      return isObject(content) && content['reset'] === true
        ? { ok: true, value: { kind, paths, content: { reset: true } } }
        : { ok: false, reason: 'cancel-observation content must be null or { "reset": true }' };
    case 'read':
    case 'read-composite':
    case 'observe-composite':
      return content === null ? { ok: true, value: { kind, paths, content, ...format } } : { ok: false, reason: `${kind} carries no content` };
    case 'delete':
      return content === null ? { ok: true, value: { kind, paths, content } } : { ok: false, reason: `${kind} carries no content` };
  }
}

/** An operator's format: only for an operation that negotiates one, and one this server reads or writes for it. */
function validateFormat(spec: UncheckedOperation): Built<void> {
  if (spec.format === undefined) return { ok: true, value: undefined };
  const operation = contentOperationOf(spec);
  if (operation === undefined) return { ok: false, reason: `${spec.kind} takes no content format` };
  const usable = usableContentFormats(operation);
  if (usable.some((format) => format === spec.format)) return { ok: true, value: undefined };
  return { ok: false, reason: `content format ${spec.format} does not fit ${spec.kind} ${spec.paths.join(', ')} (usable: ${usable.join(', ')})` };
}

/** The CoAP request of the operation, with `format` as Accept or Content-Format where it negotiates one. */
export function buildRequest(spec: OperationSpec, device: DeviceProfile, format: number | undefined, catalog: ObjectModelCatalog): Built<OutgoingCoapRequest> {
  const first = spec.paths[0] ?? '/';
  const target = tryParsePath(first);
  const root = rootSegments(device);
  const uri = target.ok ? [...root, ...formatPath(target.value).split('/').filter((segment) => segment !== '')] : root;
  const get = (method: CoapMethod, extra: Partial<OutgoingCoapRequest> = {}): Built<OutgoingCoapRequest> => ({ ok: true, value: { method, path: uri, ...extra } });
  switch (spec.kind) {
    case 'read':
      return get('GET', withAccept(format));
    case 'observe': {
      const query = observeQuery(spec.content, device.lwm2mVersion);
      return query.ok ? get('GET', { ...withAccept(format), ...withQuery(query.value), observe: 0 }) : query;
    }
    case 'cancel-observation':
      // RFC 7641 section 3.6: the cancel repeats the Observe that established the observation.
      return { ok: false, reason: 'a Cancel Observation is built from the observation it ends (buildCancelRequest)' };
    case 'discover':
      return get('GET', { accept: CONTENT_FORMAT.linkFormat, ...withQuery(discoverQuery(spec.content)) });
    case 'delete':
      return get('DELETE');
    case 'execute':
      return get('POST', spec.content !== null && spec.content !== '' ? { contentFormat: CONTENT_FORMAT.textPlain, payload: new TextEncoder().encode(spec.content) } : {});
    case 'write-attributes': {
      const query = attributeQuery(spec.content, device.lwm2mVersion);
      return query.ok ? get('PUT', { query: query.value }) : query;
    }
    case 'write-replace':
    case 'write-partial':
    case 'create': {
      if (!target.ok) return target;
      if (format === undefined) return { ok: false, reason: `no content format of ${device.lwm2mVersion} fits ${first}` };
      const values = valuesOf(spec.content, catalog);
      if (!values.ok) return values;
      const body = encodeTree(spec.kind, target.value, values.value, format, catalog);
      if (!body.ok) return body;
      return get(spec.kind === 'write-replace' ? 'PUT' : 'POST', { contentFormat: format, payload: body.value });
    }
    case 'read-composite':
      return compositeFetch(spec.paths, device, root, format, undefined);
    case 'observe-composite':
      return compositeFetch(spec.paths, device, root, format, 0);
    case 'write-composite': {
      if (format === undefined) return { ok: false, reason: `composite operations need LwM2M 1.1 or later (the device registered ${device.lwm2mVersion})` };
      const values = valuesOf(spec.content, catalog);
      if (!values.ok) return values;
      const body = encodeEntries(format, values.value);
      if (!body.ok) return { ok: false, reason: body.error.message };
      return { ok: true, value: { method: 'iPATCH', path: root, contentFormat: format, payload: body.value } };
    }
  }
}

/**
 * The active Cancel Observation: RFC 7641 section 3.6 asks for the request that registered the
 * observation again, with Observe 1, the same token and every other option identical (Accept, the
 * Uri-Query of its attributes). For an Observe-Composite, LwM2M Transport 1.1 (Information Reporting) makes it a
 * FETCH of the root with Observe 1, the same SenML path list and the same Content-Format and Accept.
 * An observation recorded before its format was kept is cancelled with the format the registration
 * gives, as it was then observed.
 */
export function buildCancelRequest(observation: ObservationRequest, device: DeviceProfile): Built<OutgoingCoapRequest> {
  const root = rootSegments(device);
  if (observation.composite) {
    const format = observation.format ?? chooseContentFormat(device.lwm2mVersion, device.contentFormats, { kind: 'composite' });
    return compositeFetch(observation.paths, device, root, format, 1);
  }
  const target = tryParsePath(observation.paths[0] ?? '/');
  if (!target.ok) return target;
  const format = observation.format ?? chooseContentFormat(device.lwm2mVersion, device.contentFormats, { kind: 'read', path: target.value });
  const path = [...root, ...formatPath(target.value).split('/').filter((segment) => segment !== '')];
  return { ok: true, value: { method: 'GET', path, ...withAccept(format), ...withQuery(observation.query), observe: 1 } };
}

/** The Uri-Query of an Observe: its attributes, or none. */
export function observeQueryOf(spec: OperationSpec): readonly string[] {
  if (spec.kind !== 'observe') return [];
  const query = observeQuery(spec.content);
  return query.ok ? query.value : [];
}

function compositeFetch(paths: readonly string[], device: DeviceProfile, root: string[], format: number | undefined, observe: 0 | 1 | undefined): Built<OutgoingCoapRequest> {
  if (format === undefined) return { ok: false, reason: `composite operations need LwM2M 1.1 or later (the device registered ${device.lwm2mVersion})` };
  const parsedPaths: CompositePath[] = [];
  for (const path of paths) {
    const parsed = tryParseCompositePath(path);
    if (!parsed.ok) return parsed;
    parsedPaths.push(parsed.value);
  }
  const body = encodePaths(format, parsedPaths);
  if (!body.ok) return { ok: false, reason: body.error.message };
  return { ok: true, value: { method: 'FETCH', path: root, contentFormat: format, accept: format, payload: body.value, ...(observe === undefined ? {} : { observe }) } };
}

function rootSegments(device: DeviceProfile): string[] {
  return device.rootPath === '/' ? [] : device.rootPath.split('/').filter((segment) => segment !== '');
}

/** What a success response of the operation carries: the operation's result and the values it reported. */
export interface InterpretedResponse {
  readonly content: JsonValue | null;
  readonly values: readonly PathValue[];
}

export function interpretResponse(
  spec: OperationSpec,
  response: IncomingCoapResponse,
  requestedFormat: number | undefined,
  catalog: ObjectModelCatalog,
  now: Date,
): Built<InterpretedResponse> {
  const format = response.contentFormat ?? requestedFormat;
  switch (spec.kind) {
    case 'read':
    case 'observe': {
      const path = parsePath(spec.paths[0] ?? '/');
      if (format === undefined) return { ok: false, reason: 'the answer has no content format' };
      const node = decodeContent(format, response.payload, path, catalog, { now: now.getTime() / 1000 });
      if (!node.ok) return { ok: false, reason: `the answer is not valid ${contentFormatName(format)}: ${node.error.message}` };
      const values = nodeToEntries(node.value, path);
      return { ok: true, value: { content: valuesContent(format, values), values } };
    }
    case 'read-composite':
    case 'observe-composite': {
      if (format === undefined) return { ok: false, reason: 'the answer has no content format' };
      const values = decodeEntries(format, response.payload, catalog, { now: now.getTime() / 1000 });
      if (!values.ok) return { ok: false, reason: `the answer is not valid ${contentFormatName(format)}: ${values.error.message}` };
      return { ok: true, value: { content: valuesContent(format, values.value), values: values.value } };
    }
    case 'discover': {
      const links = parseLinkFormat(new TextDecoder().decode(response.payload));
      if (!links.ok) return { ok: false, reason: `the answer is not valid link format: ${links.error.reason} at ${links.error.offset}` };
      const content: JsonValue = {
        links: links.links.map((link) => ({ target: link.target, attributes: Object.fromEntries(link.params.map((param) => [param.name, param.value])) })),
      };
      return { ok: true, value: { content, values: [] } };
    }
    case 'create': {
      const location = stringOptions(response.options, OptionNumber.LocationPath);
      return { ok: true, value: { content: location.length > 0 ? { location: `/${location.join('/')}` } : null, values: [] } };
    }
    case 'write-replace':
    case 'write-partial':
    case 'write-attributes':
    case 'write-composite':
    case 'execute':
    case 'delete':
    case 'cancel-observation':
      return { ok: true, value: { content: null, values: [] } };
  }
}

/** A value as JSON: path, LwM2M type, canonical text and, where the device gave one, its time. */
export function valueJson(entry: PathValue): { [key: string]: JsonValue } {
  const value = lwm2mValueToJson(entry.value);
  return { path: formatPath(entry.path), type: value.type, text: value.text, ...(entry.time === undefined ? {} : { time: new Date(entry.time * 1000).toISOString() }) };
}

function valuesContent(format: number, values: readonly PathValue[]): JsonValue {
  return { contentFormat: format, values: values.map(valueJson) };
}

function withAccept(format: number | undefined): Partial<OutgoingCoapRequest> {
  return format === undefined ? {} : { accept: format };
}

function withQuery(query: readonly string[]): Partial<OutgoingCoapRequest> {
  return query.length === 0 ? {} : { query: [...query] };
}

function tryParsePath(text: string): Built<LwM2mPath> {
  return tryParse(() => parsePath(text));
}

function tryParseCompositePath(text: string): Built<CompositePath> {
  return tryParse(() => parseCompositePath(text));
}

function tryParse<T>(parse: () => T): Built<T> {
  try {
    return { ok: true, value: parse() };
  } catch (error) {
    return { ok: false, reason: error instanceof Error ? error.message : String(error) };
  }
}

function isObject(content: JsonValue | null): content is { [key: string]: JsonValue } {
  return content !== null && typeof content === 'object' && !Array.isArray(content);
}

/** The attributes of an Observe in its own query: numbers only (nothing to remove on a new observation). */
function observeContentOf(content: JsonValue | null): Built<AttributeContent | null> {
  if (content === null) return { ok: true, value: null };
  if (isObject(content) && Object.values(content).some((value) => value === null)) return { ok: false, reason: 'observe attributes must be numbers' };
  const attributes = attributeContentOf(content);
  return attributes.ok ? attributes : { ok: false, reason: attributes.reason.replace('write-attributes', 'observe') };
}

function discoverDepthOf(content: JsonValue | null): Built<DiscoverDepth | null> {
  if (content === null) return { ok: true, value: null };
  const depth = isObject(content) && Object.keys(content).length === 1 ? content['depth'] : undefined;
  if (typeof depth !== 'number' || !Number.isInteger(depth) || depth < 0 || depth > MAX_DISCOVER_DEPTH) {
    return { ok: false, reason: `discover content must be null or { "depth": 0..${MAX_DISCOVER_DEPTH} }` };
  }
  return { ok: true, value: { depth } };
}

function writtenValuesOf(content: JsonValue | null): Built<WrittenValues> {
  if (!isObject(content) || !Array.isArray(content['values'])) return { ok: false, reason: 'the content must be { "values": [{ "path", "type", "text" }] }' };
  const values: WrittenValue[] = [];
  for (const [index, item] of content['values'].entries()) {
    if (!isObject(item)) return { ok: false, reason: `values[${index}] is not an object` };
    const { path, type, text } = item;
    if (typeof path !== 'string' || typeof text !== 'string') return { ok: false, reason: `values[${index}] needs a path and a text` };
    values.push(typeof type === 'string' ? { path, type, text } : { path, text });
  }
  return { ok: true, value: { values } };
}

/** The Uri-Query of an Observe: its attributes, or none. */
function observeQuery(content: AttributeContent | null, lwm2mVersion?: string): Built<string[]> {
  return content === null ? { ok: true, value: [] } : attributeQuery(content, lwm2mVersion);
}

function discoverQuery(content: DiscoverDepth | null): string[] {
  return content === null ? [] : [`depth=${content.depth}`];
}

function encodeTree(kind: OperationSpec['kind'], target: LwM2mPath, values: readonly PathValue[], format: number, catalog: ObjectModelCatalog): Built<Uint8Array> {
  // Create (Core 1.1 section 6.3.6) sends the new object instance to the object's path.
  const instancePath: LwM2mPath = kind === 'create' ? { objectId: target.objectId, instanceId: values[0]?.path.instanceId ?? 0 } : target;
  const node = entriesToNode(values, instancePath, catalog);
  if (!node.ok) return { ok: false, reason: node.error.message };
  const body = encodeContent(format, node.value, kind === 'create' ? { objectId: target.objectId } : target);
  return body.ok ? { ok: true, value: body.value } : { ok: false, reason: body.error.message };
}

/** The values of a write with their LwM2M types; a value still referring to a package or a sealed text has no text to write. */
function valuesOf(content: WrittenValues, catalog: ObjectModelCatalog): Built<PathValue[]> {
  const values: PathValue[] = [];
  for (const [index, item] of content.values.entries()) {
    if (!('text' in item)) return { ok: false, reason: `values[${index}] needs a path and a text` };
    const parsed = tryParsePath(item.path);
    if (!parsed.ok) return { ok: false, reason: `values[${index}]: ${parsed.reason}` };
    const valueType = item.type ?? catalogType(catalog, parsed.value);
    if (!isValueType(valueType)) return { ok: false, reason: `values[${index}]: unknown type ${String(valueType)} for ${item.path}` };
    const value = parseTypedValue(item.text, valueType);
    if (!value.ok) return { ok: false, reason: `values[${index}]: ${value.error.message}` };
    values.push({ path: parsed.value, value: value.value });
  }
  return { ok: true, value: values };
}

function catalogType(catalog: ObjectModelCatalog, path: LwM2mPath): string | undefined {
  const object = path.resourceId === undefined ? undefined : catalog.object(path.objectId);
  return object === undefined || path.resourceId === undefined ? undefined : findResource(object, path.resourceId)?.type;
}

function isValueType(type: string | undefined): type is LwM2mValueType {
  return LWM2M_VALUE_TYPES.some((known) => known === type);
}

/** The attributes of a Write-Attributes (or an Observe): known names, each a number its name allows or null (removed). */
function attributeContentOf(content: JsonValue | null): Built<AttributeContent> {
  if (!isObject(content)) return { ok: false, reason: 'write-attributes content must be an object like { "pmin": 10 }' };
  const attributes: { [Name in NotificationAttributeName]?: number | null } = {};
  for (const [name, value] of Object.entries(content)) {
    if (!isNotificationAttributeName(name)) return { ok: false, reason: `unknown attribute ${name} (known: ${NOTIFICATION_ATTRIBUTE_NAMES.join(', ')})` };
    if (value !== null && typeof value !== 'number') return { ok: false, reason: `attribute ${name} must be a number or null` };
    const problem = value === null ? undefined : attributeValueProblem(name, value);
    if (problem !== undefined) return { ok: false, reason: problem };
    attributes[name] = value;
  }
  if (Object.keys(attributes).length === 0) return { ok: false, reason: 'write-attributes needs at least one attribute' };
  return { ok: true, value: attributes };
}

/** The Uri-Query of the attributes; with the device's version (when sent), refused if it names attributes that version lacks. */
function attributeQuery(content: AttributeContent, lwm2mVersion?: string): Built<string[]> {
  const query: string[] = [];
  const names: NotificationAttributeName[] = [];
  // The order the operator gave them in (Object.entries keeps the JSON's order).
  for (const [name, value] of Object.entries(content)) {
    if (!isNotificationAttributeName(name) || value === undefined) continue;
    names.push(name);
    query.push(value === null ? name : `${name}=${String(value)}`);
  }
  const refused = lwm2mVersion === undefined ? [] : attributesRefusedFor(lwm2mVersion, names);
  if (refused.length > 0) return { ok: false, reason: `${refused.join(', ')} need LwM2M 1.2 (Core 1.2 section 5.1.2); the device registered with ${lwm2mVersion ?? ''}` };
  return { ok: true, value: query };
}
