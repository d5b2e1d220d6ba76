import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DdfErrorCode } from '../../../src/domain/lwm2m/DdfError.ts';
import { MAX_DDF_BYTES, MAX_DDF_ERRORS, parseDdf, type DdfParseResult } from '../../../src/domain/lwm2m/DdfParser.ts';
import type { ObjectModel, ResourceModel } from '../../../src/domain/lwm2m/ObjectModel.ts';

function lwm2m(objects: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<LWM2M>\n${objects}\n</LWM2M>\n`;
}

/** An object with the given inner elements after its id; resources are `<Item>` elements. */
function object(id: string, items: string, extra = ''): string {
  return `  <Object ObjectType="MODefinition">
    <Name>Thing</Name>
    <ObjectID>${id}</ObjectID>${extra}
    <MultipleInstances>Multiple</MultipleInstances>
    <Mandatory>Optional</Mandatory>
    <Resources>
${items}
    </Resources>
  </Object>`;
}

function item(id: string, fields: { type?: string; operations?: string; more?: string } = {}): string {
  return `      <Item ID="${id}">
        <Name>Value ${id}</Name>
        <Operations>${fields.operations ?? 'R'}</Operations>
        <MultipleInstances>Single</MultipleInstances>
        <Mandatory>Mandatory</Mandatory>
        <Type>${fields.type ?? 'Integer'}</Type>${fields.more ?? ''}
      </Item>`;
}

function objects(result: DdfParseResult): readonly ObjectModel[] {
  if (!result.ok) throw new Error(`refused: ${result.errors.map((error) => error.message).join('; ')}`);
  return result.objects;
}

function onlyObject(result: DdfParseResult): ObjectModel {
  const [first, ...others] = objects(result);
  if (first === undefined || others.length > 0) throw new Error('expected exactly one object');
  return first;
}

function onlyResource(result: DdfParseResult): ResourceModel {
  const [first, ...others] = onlyObject(result).resources;
  if (first === undefined || others.length > 0) throw new Error('expected exactly one resource');
  return first;
}

function codes(result: DdfParseResult): DdfErrorCode[] {
  return result.ok ? [] : result.errors.map((error) => error.code);
}

function firstError(result: DdfParseResult) {
  if (result.ok) throw new Error('expected a refusal');
  const [error] = result.errors;
  if (error === undefined) throw new Error('a refusal without errors');
  return error;
}

describe('parseDdf accepts', () => {
  it('a schema 1.1 object with every element', () => {
    const xml = lwm2m(`  <Object ObjectType="MODefinition">
    <Name>Temperature</Name>
    <Description1>A temperature sensor.</Description1>
    <Description2></Description2>
    <ObjectID>3303</ObjectID>
    <ObjectURN>urn:oma:lwm2m:ext:3303:1.1</ObjectURN>
    <LWM2MVersion>1.0</LWM2MVersion>
    <ObjectVersion>1.1</ObjectVersion>
    <MultipleInstances>Multiple</MultipleInstances>
    <Mandatory>Optional</Mandatory>
    <Resources>
      <Item ID="5700">
        <Name>Sensor Value</Name>
        <Operations>R</Operations>
        <MultipleInstances>Single</MultipleInstances>
        <Mandatory>Mandatory</Mandatory>
        <Type>Float</Type>
        <RangeEnumeration>-40..85</RangeEnumeration>
        <Units>Cel</Units>
        <Description>Last or Current Measured Value from the Sensor.</Description>
      </Item>
    </Resources>
  </Object>`);
    expect(objects(parseDdf(xml))).toEqual([
      {
        id: 3303,
        name: 'Temperature',
        description: 'A temperature sensor.',
        version: '1.1',
        lwm2mVersion: '1.0',
        urn: 'urn:oma:lwm2m:ext:3303:1.1',
        multiple: true,
        mandatory: false,
        resources: [
          {
            id: 5700,
            name: 'Sensor Value',
            operations: 'R',
            multiple: false,
            mandatory: true,
            type: 'float',
            rangeEnumeration: '-40..85',
            units: 'Cel',
            description: 'Last or Current Measured Value from the Sensor.',
          },
        ],
      },
    ]);
  });

  it('a schema 1.0 object without versions, which default to 1.0', () => {
    const model = onlyObject(parseDdf(lwm2m(object('3', item('0')))));
    expect(model).toMatchObject({ id: 3, version: '1.0', lwm2mVersion: '1.0', urn: '', description: '' });
  });

  it('several objects in one document, in document order', () => {
    const result = parseDdf(lwm2m([object('10', item('0')), object('11', item('0')), object('10', item('0'), '<ObjectVersion>1.1</ObjectVersion>')].join('\n')));
    expect(objects(result).map((model) => `${model.id}@${model.version}`)).toEqual(['10@1.0', '11@1.0', '10@1.1']);
  });

  it.each([
    ['String', 'string'],
    ['Integer', 'integer'],
    ['Unsigned Integer', 'unsigned'],
    ['Float', 'float'],
    ['Boolean', 'boolean'],
    ['Opaque', 'opaque'],
    ['Time', 'time'],
    ['Objlnk', 'objlnk'],
    ['Corelnk', 'corelnk'],
    ['CoreLnk', 'corelnk'],
    [' unsigned   integer ', 'unsigned'],
    ['none', 'none'],
    ['', 'none'],
  ])('the type "%s" as %s', (written, type) => {
    expect(onlyResource(parseDdf(lwm2m(object('1', item('0', { type: written }))))).type).toBe(type);
  });

  it('an empty <Type/> as none', () => {
    const xml = lwm2m(object('1', '<Item ID="4"><Name>Reboot</Name><Operations>E</Operations><Type/></Item>'));
    expect(onlyResource(parseDdf(xml))).toMatchObject({ operations: 'E', type: 'none' });
  });

  it.each([
    ['R', 'R'],
    ['W', 'W'],
    ['RW', 'RW'],
    ['E', 'E'],
    ['', ''],
    [' rw ', 'RW'],
  ])('the operations "%s" as "%s"', (written, operations) => {
    expect(onlyResource(parseDdf(lwm2m(object('1', item('0', { operations: written }))))).operations).toBe(operations);
  });

  it('whitespace around every value', () => {
    const xml = lwm2m(`<Object>
      <Name>
        Spaced   Out
      </Name>
      <ObjectID>  42 </ObjectID>
      <ObjectVersion> 2.0 </ObjectVersion>
      <MultipleInstances>  Single </MultipleInstances>
      <Mandatory> Mandatory</Mandatory>
      <Resources>
        <Item ID=" 7 "><Name> Level </Name><Operations> RW </Operations><MultipleInstances> Multiple </MultipleInstances><Type> Float </Type><Units> % </Units></Item>
      </Resources>
    </Object>`);
    const model = onlyObject(parseDdf(xml));
    expect(model).toMatchObject({ id: 42, name: 'Spaced   Out', version: '2.0', multiple: false, mandatory: true });
    expect(model.resources).toMatchObject([{ id: 7, name: 'Level', operations: 'RW', multiple: true, type: 'float', units: '%' }]);
  });

  it('missing optional elements, with their defaults', () => {
    const resource = onlyResource(parseDdf(lwm2m('<Object><Name>Bare</Name><ObjectID>5</ObjectID><Resources><Item ID="1"><Name>Only a name</Name></Item></Resources></Object>')));
    expect(resource).toEqual({
      id: 1,
      name: 'Only a name',
      operations: '',
      multiple: false,
      mandatory: false,
      type: 'none',
      rangeEnumeration: '',
      units: '',
      description: '',
    });
  });

  it('an object without resources', () => {
    expect(onlyObject(parseDdf(lwm2m('<Object><Name>Empty</Name><ObjectID>5</ObjectID><Resources/></Object>'))).resources).toEqual([]);
    expect(onlyObject(parseDdf(lwm2m('<Object><Name>Empty</Name><ObjectID>5</ObjectID></Object>'))).resources).toEqual([]);
  });

  it('descriptions holding markup, CDATA, comments and character references, kept as written', () => {
    const description = '<Description>Use <b>bold</b> &amp; more <![CDATA[<time>,<sensor #1> if a < b & c]]><!-- note --> &#x263A;&#65;</Description>';
    const resource = onlyResource(parseDdf(lwm2m(object('1', item('0', { more: description })))));
    expect(resource.description).toBe('Use <b>bold</b> & more <time>,<sensor #1> if a < b & c ☺A');
  });

  it('a CDATA description that holds a closing tag', () => {
    const description = '<Description><![CDATA[ends with </Description> inside ]]></Description>';
    expect(onlyResource(parseDdf(lwm2m(object('1', item('0', { more: description }))))).description).toBe('ends with </Description> inside');
  });

  it('Description1 and Description2 joined', () => {
    const extra = '<Description1>First part.</Description1><Description2><![CDATA[Second part.]]></Description2>';
    expect(onlyObject(parseDdf(lwm2m(object('9', item('0'), extra)))).description).toBe('First part.\n\nSecond part.');
  });

  it('entities in names and a byte order mark', () => {
    const xml = `\uFEFF${lwm2m('<Object><Name>On/Off &amp; Dimmer &#8482;</Name><ObjectID>3343</ObjectID></Object>')}`;
    expect(onlyObject(parseDdf(xml)).name).toBe('On/Off & Dimmer ™');
  });

  it('the largest ids, 65535', () => {
    const model = onlyObject(parseDdf(lwm2m(object('65535', item('65535')))));
    expect([model.id, model.resources[0]?.id]).toEqual([65535, 65535]);
  });
});

describe('parseDdf refuses', () => {
  it.each(['', 'hello', '{"json": true}', '<LWM2M><Object></LWM2M>', '<LWM2M>', '\u0000\u0001'])('text that is not XML: %j', (text) => {
    expect(codes(parseDdf(text))).toEqual(['not-xml']);
  });

  it('malformed XML with the line and column of the fault', () => {
    const error = firstError(parseDdf('<?xml version="1.0"?>\n<LWM2M>\n  <Object>\n    <Name>x</Nam>\n  </Object>\n</LWM2M>'));
    expect(error).toMatchObject({ code: 'not-xml', line: 4 });
    expect(error.column).toBeGreaterThan(0);
    expect(error.message).toMatch(/not well-formed/);
  });

  it('more than one root element', () => {
    expect(codes(parseDdf(`${lwm2m(object('1', item('0')))}<LWM2M/>`))).toEqual(['not-xml']);
    expect(codes(parseDdf(`${lwm2m(object('1', item('0')))}<Other/>`))).toEqual(['not-xml']);
  });

  it('nesting deeper than the parser allows, without overflowing the stack', () => {
    const deep = `<LWM2M>${'<a>'.repeat(5000)}${'</a>'.repeat(5000)}</LWM2M>`;
    expect(firstError(parseDdf(deep))).toMatchObject({ code: 'not-xml' });
  });

  it('an object or an item that holds only text', () => {
    expect(firstError(parseDdf(lwm2m('<Object>text</Object>')))).toMatchObject({ code: 'missing-element', element: 'LWM2M/Object[1]' });
    expect(firstError(parseDdf(lwm2m(object('1', '<Item>5</Item>'))))).toMatchObject({ code: 'missing-element', element: 'LWM2M/Object[1]/Resources/Item[1]' });
  });

  it('XML whose root is not <LWM2M>', () => {
    const error = firstError(parseDdf('<DDFList><Item><ObjectID>0</ObjectID></Item></DDFList>'));
    expect(error).toMatchObject({ code: 'not-lwm2m', element: 'DDFList' });
    expect(error.message).toContain('<DDFList>');
  });

  it('an <LWM2M> document without objects', () => {
    expect(codes(parseDdf(lwm2m('')))).toEqual(['no-object']);
    expect(codes(parseDdf('<LWM2M><Something/></LWM2M>'))).toEqual(['no-object']);
  });

  it('an object without ObjectID, naming the object and its line', () => {
    const xml = lwm2m('<Object ObjectType="CommonResources">\n<Name>No id</Name><Resources/></Object>');
    const error = firstError(parseDdf(xml));
    expect(error).toMatchObject({ code: 'missing-element', objectIndex: 1, element: 'LWM2M/Object[1]', line: 3, column: 1 });
    expect(error.message).toBe('Object 1: <ObjectID> is missing');
  });

  it.each(['abc', '3.5', '-1', '65536', '1e3', '0x10', ''])('the ObjectID "%s"', (id) => {
    expect(codes(parseDdf(lwm2m(object(id, item('0')))))).toEqual([id === '' ? 'missing-element' : 'invalid-id']);
  });

  it.each(['x', '1.0', '-2', '99999'])('the resource ID "%s", naming the item', (id) => {
    const error = firstError(parseDdf(lwm2m(object('3', `${item('0')}\n${item(id)}`))));
    expect(error).toMatchObject({ code: 'invalid-id', objectId: 3, element: 'LWM2M/Object[1]/Resources/Item[2]' });
    expect(error.message).toContain('Object 1 (ObjectID 3), Item 2');
  });

  it('an item without an ID', () => {
    const error = firstError(parseDdf(lwm2m(object('3', '<Item><Name>No id</Name></Item>'))));
    expect(error).toMatchObject({ code: 'missing-element', element: 'LWM2M/Object[1]/Resources/Item[1]' });
  });

  it('an unknown type, with the object, the resource, the element and the line of the item', () => {
    const xml = lwm2m(object('3303', `${item('5700', { type: 'Float' })}\n${item('5701', { type: 'Double' })}`));
    const error = firstError(parseDdf(xml));
    expect(error).toMatchObject({
      code: 'unknown-type',
      objectIndex: 1,
      objectId: 3303,
      resourceId: 5701,
      element: 'LWM2M/Object[1]/Resources/Item[ID=5701]/Type',
      line: 16,
      column: 7,
    });
    expect(error.message).toContain('"Double"');
  });

  it.each(['RWE', 'X', 'WR', 'R W', 'Read'])('the operations "%s"', (operations) => {
    const error = firstError(parseDdf(lwm2m(object('3', item('1', { operations })))));
    expect(error).toMatchObject({ code: 'unknown-operations', resourceId: 1, element: 'LWM2M/Object[1]/Resources/Item[ID=1]/Operations' });
  });

  it('a duplicate resource id', () => {
    const error = firstError(parseDdf(lwm2m(object('3', `${item('1')}\n${item('2')}\n${item('1')}`))));
    expect(error).toMatchObject({ code: 'duplicate-resource', objectId: 3, resourceId: 1 });
  });

  it('the same object and version twice in one document', () => {
    const result = parseDdf(lwm2m(`${object('3', item('1'))}\n${object('3', item('1'))}`));
    expect(firstError(result)).toMatchObject({ code: 'duplicate-object', objectIndex: 2, objectId: 3 });
  });

  it('a billion-laughs DOCTYPE with entities, before parsing it', () => {
    const laughs = `<?xml version="1.0"?>
<!DOCTYPE LWM2M [
  <!ENTITY lol "lol">
  <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
]>
<LWM2M><Object><Name>&lol2;</Name><ObjectID>1</ObjectID></Object></LWM2M>`;
    expect(firstError(parseDdf(laughs))).toMatchObject({ code: 'doctype', line: 2, column: 1 });
  });

  it.each([
    '<!DOCTYPE LWM2M SYSTEM "file:///etc/passwd">',
    '<!doctype LWM2M>',
    '<! ENTITY x "y">',
  ])('any document type or entity declaration: %s', (declaration) => {
    expect(codes(parseDdf(`${declaration}\n${lwm2m(object('1', item('0')))}`))).toEqual(['doctype']);
  });

  it(`a document above ${MAX_DDF_BYTES} bytes, counted in UTF-8`, () => {
    const valid = lwm2m(object('1', item('0')));
    const padded = (padding: string) => valid.replace('<LWM2M>', `<LWM2M><!--${padding}-->`);
    expect(parseDdf(padded(' '.repeat(MAX_DDF_BYTES - valid.length - 7))).ok).toBe(true);
    expect(codes(parseDdf(padded(' '.repeat(MAX_DDF_BYTES))))).toEqual(['too-large']);
    // Fewer characters than the limit, but two bytes each in UTF-8.
    expect(codes(parseDdf(padded('é'.repeat(MAX_DDF_BYTES / 2 + 1))))).toEqual(['too-large']);
  });

  it.each([
    ['<MultipleInstances>Maybe</MultipleInstances>', 'LWM2M/Object[1]/MultipleInstances'],
    ['<Mandatory>Sometimes</Mandatory>', 'LWM2M/Object[1]/Mandatory'],
    ['<ObjectVersion>1.x</ObjectVersion>', 'LWM2M/Object[1]/ObjectVersion'],
    ['<LWM2MVersion>one</LWM2MVersion>', 'LWM2M/Object[1]/LWM2MVersion'],
  ])('a value outside its enumeration: %s', (element, path) => {
    const xml = lwm2m(`<Object><Name>T</Name><ObjectID>8</ObjectID>${element}</Object>`);
    expect(firstError(parseDdf(xml))).toMatchObject({ code: 'invalid-value', element: path, objectId: 8 });
  });

  it('an element written twice', () => {
    const xml = lwm2m('<Object><Name>A</Name><Name>B</Name><ObjectID>8</ObjectID></Object>');
    expect(firstError(parseDdf(xml))).toMatchObject({ code: 'duplicate-element', element: 'LWM2M/Object[1]/Name' });
  });

  it('a name made of elements', () => {
    const xml = lwm2m('<Object><Name><b>Bold</b></Name><ObjectID>8</ObjectID></Object>');
    expect(firstError(parseDdf(xml))).toMatchObject({ code: 'invalid-value', element: 'LWM2M/Object[1]/Name' });
  });

  it('an empty name', () => {
    const xml = lwm2m(object('3', '<Item ID="1"><Name> </Name></Item>'));
    expect(firstError(parseDdf(xml))).toMatchObject({ code: 'missing-element', element: 'LWM2M/Object[1]/Resources/Item[ID=1]/Name' });
  });

  it('with every problem of the document, not only the first', () => {
    const xml = lwm2m(`${object('3', `${item('1', { type: 'Double' })}\n${item('2', { operations: 'X' })}`)}\n${object('y', item('0'))}`);
    expect(codes(parseDdf(xml))).toEqual(['unknown-type', 'unknown-operations', 'invalid-id']);
  });

  it(`with at most ${MAX_DDF_ERRORS} errors`, () => {
    const items = Array.from({ length: MAX_DDF_ERRORS * 2 }, (_, index) => item(String(index), { type: 'Double' }));
    const result = parseDdf(lwm2m(object('3', items.join('\n'))));
    expect(result.ok ? 0 : result.errors.length).toBe(MAX_DDF_ERRORS);
  });
});

/** Writes a model as a DDF, escaping text as XML requires: the inverse of the parser. */
function toDdf(models: readonly ObjectModel[]): string {
  const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const typeNames: Record<ResourceModel['type'], string> = {
    string: 'String',
    integer: 'Integer',
    unsigned: 'Unsigned Integer',
    float: 'Float',
    boolean: 'Boolean',
    opaque: 'Opaque',
    time: 'Time',
    objlnk: 'Objlnk',
    corelnk: 'Corelnk',
    none: '',
  };
  const resource = (r: ResourceModel) => `<Item ID="${r.id}">
  <Name>${escape(r.name)}</Name><Operations>${r.operations}</Operations>
  <MultipleInstances>${r.multiple ? 'Multiple' : 'Single'}</MultipleInstances><Mandatory>${r.mandatory ? 'Mandatory' : 'Optional'}</Mandatory>
  <Type>${typeNames[r.type]}</Type><RangeEnumeration>${escape(r.rangeEnumeration)}</RangeEnumeration><Units>${escape(r.units)}</Units>
  <Description>${escape(r.description)}</Description></Item>`;
  const body = models.map(
    (m) => `<Object ObjectType="MODefinition"><Name>${escape(m.name)}</Name><Description1>${escape(m.description)}</Description1>
<ObjectID>${m.id}</ObjectID><ObjectURN>${escape(m.urn)}</ObjectURN><LWM2MVersion>${m.lwm2mVersion}</LWM2MVersion><ObjectVersion>${m.version}</ObjectVersion>
<MultipleInstances>${m.multiple ? 'Multiple' : 'Single'}</MultipleInstances><Mandatory>${m.mandatory ? 'Mandatory' : 'Optional'}</Mandatory>
<Resources>${m.resources.map(resource).join('\n')}</Resources></Object>`,
  );
  return lwm2m(body.join('\n'));
}

// Text as the parser returns it: trimmed, without the control characters XML 1.0 forbids.
const text = fc
  .string({ unit: fc.constantFrom('a', 'Z', '7', ' ', '<', '>', '&', '"', "'", ']]>', 'é', '☺', '\n', '#', '/', '-') })
  .map((value) => value.trim());
const name = text.filter((value) => value !== '');
const version = fc.tuple(fc.nat(99), fc.nat(99)).map(([major, minor]) => `${major}.${minor}`);
const resourceArbitrary: fc.Arbitrary<ResourceModel> = fc.record({
  id: fc.nat(65535),
  name,
  operations: fc.constantFrom('', 'R', 'W', 'RW', 'E'),
  multiple: fc.boolean(),
  mandatory: fc.boolean(),
  type: fc.constantFrom('string', 'integer', 'unsigned', 'float', 'boolean', 'opaque', 'time', 'objlnk', 'corelnk', 'none'),
  rangeEnumeration: text,
  units: text,
  description: text,
});
const objectArbitrary: fc.Arbitrary<ObjectModel> = fc.record({
  id: fc.nat(65535),
  name,
  description: text,
  version,
  lwm2mVersion: version,
  urn: text,
  multiple: fc.boolean(),
  mandatory: fc.boolean(),
  resources: fc.uniqueArray(resourceArbitrary, { selector: (r) => r.id, maxLength: 8 }),
});

describe('parseDdf properties', () => {
  it('reads back every model written as a DDF', () => {
    fc.assert(
      fc.property(fc.uniqueArray(objectArbitrary, { selector: (m) => `${m.id}@${m.version}`, minLength: 1, maxLength: 3 }), (models) => {
        expect(parseDdf(toDdf(models))).toEqual({ ok: true, objects: models });
      }),
    );
  });

  it('never throws on random text, and always says why it refuses', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (input) => {
        const result = parseDdf(input);
        if (!result.ok) expect(result.errors.length).toBeGreaterThan(0);
      }),
    );
  });

  it('never throws on random bytes read as UTF-8 or Latin-1', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.constantFrom('utf-8', 'latin1'), (bytes, encoding) => {
        const result = parseDdf(new TextDecoder(encoding).decode(bytes));
        expect(typeof result.ok).toBe('boolean');
      }),
    );
  });

  it('never throws on a valid DDF with random text spliced in', () => {
    const valid = toDdf([
      { id: 3, name: 'Device', description: 'd', version: '1.0', lwm2mVersion: '1.0', urn: 'u', multiple: false, mandatory: true, resources: [] },
    ]);
    const fragment = fc.string({ unit: fc.constantFrom('<', '>', '/', '!', '[', ']', '&', ';', '"', '=', 'a', 'Item', 'ID', ' ', 'CDATA', '--', '?'), maxLength: 20 });
    fc.assert(
      fc.property(fc.nat(valid.length), fragment, fc.nat(10), (at, insert, removed) => {
        const result = parseDdf(valid.slice(0, at) + insert + valid.slice(at + removed));
        if (!result.ok) expect(result.errors.every((error) => error.message.length > 0)).toBe(true);
      }),
    );
  });
});
