/** Shell commands to queued operations: every command kind, the content forms, create's instance id. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { validateOperation } from '../../../src/app/operations/OperationRequests.ts';
import { coreObjectCatalog } from '../../../src/domain/lwm2m/StaticObjectModelCatalog.ts';
import type { OperationSpec } from '../../../src/domain/operations/OperationEvents.ts';
import type { ExecuteArgument, ShellCommand } from '../../../src/domain/shell/ShellCommand.ts';
import { parseShellCommand } from '../../../src/domain/shell/ShellCommandParser.ts';
import type { ShellOperationContext } from '../../../src/domain/shell/ShellOperationSpec.ts';
import { formatExecuteArguments, shellOperationSpec } from '../../../src/domain/shell/ShellOperationSpec.ts';

const catalog = coreObjectCatalog();
const context: ShellOperationContext = {
  catalog,
  deviceObjects: new Map([
    [1, '1.0'],
    [3, '1.0'],
    [3303, '1.0'],
  ]),
  announcedInstances: (objectId) => (objectId === 3303 ? [0, 4] : []),
};

function command(text: string): ShellCommand {
  const parsed = parseShellCommand(text);
  if (!parsed.ok) throw new Error(parsed.error.message);
  return parsed.command;
}

function operation(text: string): OperationSpec {
  const result = shellOperationSpec(command(text), context);
  if (result.kind !== 'operation') throw new Error(`${text} is not one operation`);
  return result.operation;
}

describe('shellOperationSpec', () => {
  it.each([
    ['read /3/0/0', { kind: 'read', paths: ['/3/0/0'], content: null }],
    ['read /3', { kind: 'read', paths: ['/3'], content: null }],
    ['observe /3303/0/5700', { kind: 'observe', paths: ['/3303/0/5700'], content: null }],
    ['cancelobservation /3303/0/5700', { kind: 'cancel-observation', paths: ['/3303/0/5700'], content: { reset: true } }],
    ['cancelobserve /3303/0', { kind: 'cancel-observation', paths: ['/3303/0'], content: null }],
    ['cancelobserve /3303/0/5700 /3/0/9', { kind: 'cancel-observation', paths: ['/3303/0/5700', '/3/0/9'], content: null }],
    ['cancelobservation /', { kind: 'cancel-observation', paths: ['/'], content: { reset: true } }],
    ['read --format cbor /3/0/9', { kind: 'read', paths: ['/3/0/9'], content: null, format: 60 }],
    ['observe --format senml-json /3303/0/5700 pmin=5&gt=30.5', { kind: 'observe', paths: ['/3303/0/5700'], content: { pmin: 5, gt: 30.5 }, format: 110 }],
    ['discover --depth 2 /3', { kind: 'discover', paths: ['/3'], content: { depth: 2 } }],
    ['write --format tlv /1/0/1 120', { kind: 'write-replace', paths: ['/1/0/1'], content: { values: [{ path: '/1/0/1', type: 'integer', text: '120' }] }, format: 11542 }],
    ['cread --format senml-cbor /', { kind: 'read-composite', paths: ['/'], content: null, format: 112 }],
    ['execute /3/0/4', { kind: 'execute', paths: ['/3/0/4'], content: null }],
    ["execute /3/0/4 0='now',1", { kind: 'execute', paths: ['/3/0/4'], content: "0='now',1" }],
    ['delete /3303/1', { kind: 'delete', paths: ['/3303/1'], content: null }],
    ['discover /3/0', { kind: 'discover', paths: ['/3/0'], content: null }],
    ['writeattr /3303/0/5700 pmin=10&greater=30.5', { kind: 'write-attributes', paths: ['/3303/0/5700'], content: { pmin: 10, gt: 30.5 } }],
    ['writeattr /3303/0/5700 cancel', { kind: 'write-attributes', paths: ['/3303/0/5700'], content: { pmin: null, pmax: null, gt: null, lt: null, st: null, epmin: null, epmax: null } }],
    ['writeattr /3303/0 cancel', { kind: 'write-attributes', paths: ['/3303/0'], content: { pmin: null, pmax: null, epmin: null, epmax: null } }],
    ['write /1/0/1 120', { kind: 'write-replace', paths: ['/1/0/1'], content: { values: [{ path: '/1/0/1', type: 'integer', text: '120' }] } }],
    ['writep /3/0 {"14": "+02"}', { kind: 'write-partial', paths: ['/3/0'], content: { values: [{ path: '/3/0/14', type: 'string', text: '+02' }] } }],
    ['create /3303 {"5700": 18.5}', { kind: 'create', paths: ['/3303'], content: { values: [{ path: '/3303/5/5700', type: 'float', text: '18.5' }] } }],
    ['cread /1/0/1 /3/0', { kind: 'read-composite', paths: ['/1/0/1', '/3/0'], content: null }],
    ['cobserve /3303/0/5700 /3/0/9', { kind: 'observe-composite', paths: ['/3303/0/5700', '/3/0/9'], content: null }],
    [
      'cwrite /1/0/1=60 /3/0/14=+01',
      { kind: 'write-composite', paths: ['/1/0/1', '/3/0/14'], content: { values: [{ path: '/1/0/1', type: 'integer', text: '60' }, { path: '/3/0/14', type: 'string', text: '+01' }] } },
    ],
  ])('%s', (text, expected) => {
    const spec = operation(text);
    expect(spec).toEqual(expected);
    // The operation queue accepts what the shell builds.
    expect(validateOperation(spec, catalog)).toEqual({ ok: true, value: undefined });
  });

  it('writes the 1.2 attributes, and cancels them too for a device registered with 1.2 only', () => {
    expect(operation('writeattr /3303/0/5700 edge=1&con=1&hqmax=5')).toEqual({ kind: 'write-attributes', paths: ['/3303/0/5700'], content: { edge: 1, con: 1, hqmax: 5 } });
    const cancel = (path: string, lwm2mVersion: string): unknown => {
      const result = shellOperationSpec(command(`writeattr ${path} cancel`), { ...context, lwm2mVersion });
      return result.kind === 'operation' ? result.operation.content : undefined;
    };
    expect(cancel('/3303/0/5700', '1.2')).toEqual({ pmin: null, pmax: null, gt: null, lt: null, st: null, epmin: null, epmax: null, edge: null, con: null, hqmax: null });
    expect(cancel('/3303/0', '1.2')).toEqual({ pmin: null, pmax: null, epmin: null, epmax: null, con: null, hqmax: null });
    expect(cancel('/3303/0/5700', '1.1')).toEqual({ pmin: null, pmax: null, gt: null, lt: null, st: null, epmin: null, epmax: null });
  });

  it('creates instance 0 of an object the device announced no instance of', () => {
    const result = shellOperationSpec(command('create /3303 {"5701": "Cel"}'), { ...context, announcedInstances: () => [] });
    expect(result).toEqual({ kind: 'operation', operation: { kind: 'create', paths: ['/3303'], content: { values: [{ path: '/3303/0/5701', type: 'string', text: 'Cel' }] } } });
  });

  it.each(['fwupdate /fw/2.0/coap://127.0.0.1/fw.bin', 'fwupdate fw;2.0;coap://127.0.0.1/fw.bin'])('%s starts a firmware update, not one operation', (text) => {
    expect(shellOperationSpec(command(text), context)).toEqual({ kind: 'firmware-update', firmwareUpdate: { name: 'fw', version: '2.0', url: 'coap://127.0.0.1/fw.bin' } });
  });

  it('formats execute arguments as the parser reads them back (Core 1.1 section 5.4.5)', () => {
    const valueChar = fc.constantFrom(...'abcXYZ019!#$%&()*+-./:;<=>?@[]^_`{|}~');
    const argument = fc.record({ digit: fc.integer({ min: 0, max: 9 }), value: fc.option(fc.string({ unit: valueChar, maxLength: 12 }), { nil: null }) });
    fc.assert(
      fc.property(fc.array(argument, { minLength: 1, maxLength: 6 }), (argumentList: ExecuteArgument[]) => {
        const parsed = command(`execute /3/0/4 ${formatExecuteArguments(argumentList)}`);
        expect(parsed).toEqual({ kind: 'execute', path: { objectId: 3, instanceId: 0, resourceId: 4 }, arguments: argumentList });
      }),
    );
  });
});
