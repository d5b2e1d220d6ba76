import { describe, expect, it } from 'vitest';
import type { ShellCheckContext, ShellCommandRefusal } from '../../../src/domain/shell/ShellCommandChecker.ts';
import { ShellCommandRefusedError, checkShellCommand } from '../../../src/domain/shell/ShellCommandChecker.ts';
import { parseShellCommand } from '../../../src/domain/shell/ShellCommandParser.ts';
import { coreObjectCatalog } from '../../../src/domain/lwm2m/StaticObjectModelCatalog.ts';
import { ShellTestCatalog } from './ShellTestCatalog.ts';

const catalog = new ShellTestCatalog();
const anyDevice: ShellCheckContext = { catalog };

function check(line: string, context: ShellCheckContext = anyDevice): void {
  const parsed = parseShellCommand(line);
  if (!parsed.ok) throw new Error(`test line does not parse: ${parsed.error.message}`);
  checkShellCommand(parsed.command, context);
}

function refusals(line: string, context: ShellCheckContext = anyDevice): readonly ShellCommandRefusal[] {
  try {
    check(line, context);
  } catch (error) {
    if (!(error instanceof ShellCommandRefusedError)) throw error;
    expect(error.code).toBe('BAD_USER_INPUT');
    expect(error.message).toBe(`${line.split(' ')[0] ?? ''} refused: ${error.refusals.map((r) => `${r.path}: ${r.reason}`).join('; ')}`);
    return error.refusals;
  }
  throw new Error(`expected "${line}" to be refused`);
}

describe('ShellCommandChecker: accepted commands', () => {
  it.each([
    'read /3',
    'read /3/0',
    'read /3/0/0',
    'read /3/0/6/1',
    'observe /3303/0/5700',
    'observe /3303/7',
    'cancelobservation /3303/0/5700',
    'cancelobserve /3303/0/5700',
    'discover /3303/0/5605',
    'execute /3/0/4',
    "execute /1/0/8 0='x',1",
    'delete /3303/1',
    'create /3303',
    'create /3303 {"5750": "kitchen", "5700": 21.5}',
    'write /3/0/13 1700000000',
    'write /3/0/13 2026-11-25T06:00:00Z',
    'write /3/0/14 +02:00',
    'write /1/0/1 300',
    'writep /1/0 {"1": 300, "7": "UQ"}',
    'writep /1/0 {"1": "9007199254740993"}',
    'writeattr /3303/0/5700 pmin=10&pmax=60&gt=30&lt=10&st=1',
    'writeattr /3303 pmin=10',
    'writeattr /3/0/9 cancel',
    'cread /3/0/0 /3303/0/5700 /1',
    'cobserve /3303/0/5700 /3/0/9',
    'cwrite /3/0/14=+02 /1/0/1=60',
    'fwupdate /fw/1.0/http://h/f.bin',
    'read --format cbor /3/0/9',
    'read --format lwm2m-cbor /3/0',
    'observe --format text /3303/0/5700 pmin=10',
    'write --format cbor /3/0/14 +02:00',
    'cread --format senml-json /',
    'cobserve /',
    'cancelobserve / /3/0/9',
    'discover --depth 0 /3',
  ])('%s', (line) => {
    expect(() => check(line)).not.toThrow();
  });
});

describe('ShellCommandChecker: refusals name the path and the reason', () => {
  it('refuses an unknown object', () => {
    expect(refusals('read /4242/0/1')).toEqual([{ path: '/4242', reason: 'object 4242 is unknown: there is no object model for it' }]);
  });

  it('refuses an unknown resource', () => {
    expect(refusals('read /3/0/99')).toEqual([{ path: '/3/0/99', reason: 'resource 99 is not defined by object 3 (Device) version 1.1' }]);
  });

  it('refuses an instance other than 0 of a single-instance object', () => {
    expect(refusals('read /3/1')).toEqual([{ path: '/3/1', reason: 'object 3 (Device) version 1.1 is single-instance: its only instance is 0' }]);
  });

  it('refuses a resource instance of a single-instance resource', () => {
    expect(refusals('read /3/0/0/1')).toEqual([
      { path: '/3/0/0/1', reason: 'resource 0 (Manufacturer) is single-instance: it has no resource instances' },
    ]);
  });

  it('refuses reading an executable resource', () => {
    expect(refusals('read /3/0/4')).toEqual([{ path: '/3/0/4', reason: 'resource 4 (Reboot) is not readable (operations: E)' }]);
  });

  it('refuses reading a write-only resource', () => {
    expect(refusals('read /5/0/0')).toEqual([{ path: '/5/0/0', reason: 'resource 0 (Package) is not readable (operations: W)' }]);
  });

  it('refuses observing (and cancelling an observation of) an executable resource', () => {
    const expected = [{ path: '/3303/0/5605', reason: 'resource 5605 (Reset Min and Max Measured Values) cannot be observed: it is not readable (operations: E)' }];
    expect(refusals('observe /3303/0/5605')).toEqual(expected);
    expect(refusals('cancelobservation /3303/0/5605')).toEqual(expected);
    expect(refusals('cancelobserve /3303/0/5605')).toEqual(expected);
  });

  it('refuses a --format that cannot carry the content: a single-value format for an instance, a tree format for a composite', () => {
    expect(refusals('read --format cbor /3/0')).toEqual([{ path: '/3/0', reason: 'application/cbor (60) cannot carry this content; usable: 11544, 112, 110, 11542, 11543, 1542, 1543' }]);
    expect(refusals('cread --format tlv / /3/0')).toEqual([{ path: '/', reason: 'application/vnd.oma.lwm2m+tlv (11542) cannot carry this content; usable: 112, 110' }]);
    expect(refusals('writep --format text /1/0 {"1": 300}')).toHaveLength(1);
  });

  it('refuses executing a resource that is not executable', () => {
    expect(refusals('execute /3/0/13')).toEqual([{ path: '/3/0/13', reason: 'resource 13 (Current Time) is not executable (operations: RW)' }]);
  });

  it('refuses writing a read-only resource', () => {
    expect(refusals('write /3/0/0 ACME')).toEqual([{ path: '/3/0/0', reason: 'resource 0 (Manufacturer) is not writable (operations: R)' }]);
  });

  it("refuses a write value the resource's type cannot hold", () => {
    expect(refusals('write /1/0/1 soon')).toEqual([
      { path: '/1/0/1', reason: 'resource 1 (Lifetime): invalid integer value "soon": expected a decimal integer' },
    ]);
    expect(refusals('write /3/0/13 yesterday')).toEqual([
      {
        path: '/3/0/13',
        reason: 'resource 13 (Current Time): invalid time value "yesterday": expected seconds since the epoch or an ISO 8601 date-time with a zone',
      },
    ]);
  });

  it('refuses create on a single-instance object', () => {
    expect(refusals('create /3')).toEqual([{ path: '/3', reason: 'object 3 (Device) version 1.1 is single-instance: its one instance cannot be created' }]);
  });

  it('refuses create with an unknown, executable or ill-typed resource, naming each', () => {
    expect(refusals('create /3303 {"1": 1, "5605": 1, "5700": "warm", "5750": "ok"}')).toEqual([
      { path: '/3303/0/1', reason: 'resource 1 is not defined by object 3303 (Temperature) version 1.0' },
      { path: '/3303/0/5605', reason: 'resource 5605 (Reset Min and Max Measured Values) is executable: it holds no value' },
      { path: '/3303/0/5700', reason: 'resource 5700 (Sensor Value): invalid float value "warm": expected a decimal number' },
    ]);
  });

  it('refuses writep on read-only resources and mismatched instance shapes', () => {
    expect(refusals('writep /1/0 {"0": 5, "1": {"0": 1}}')).toEqual([
      { path: '/1/0/0', reason: 'resource 0 (Short Server ID) is not writable (operations: R)' },
      { path: '/1/0/1', reason: 'resource 1 (Lifetime) is single-instance: give it one value, not instances' },
    ]);
  });

  it('refuses JSON integers that JSON numbers cannot carry exactly', () => {
    expect(refusals('writep /1/0 {"1": 9007199254740993}')).toEqual([
      { path: '/1/0/1', reason: '9007199254740992 is not an exact integer in JSON: write integers beyond 2^53 as strings' },
    ]);
  });

  it('writes a multiple resource one instance at a time, or through writep with its instances', () => {
    expect(() => check('write /2/0/2/1 7')).not.toThrow();
    expect(() => check('writep /2/0 {"2": {"0": 7, "1": 15}, "3": 1}')).not.toThrow();
    expect(refusals('write /2/0/2 7')).toEqual([
      { path: '/2/0/2', reason: 'resource 2 (ACL) has multiple instances: write one instance (/O/I/R/RI) or use writep' },
    ]);
    expect(refusals('writep /2/0 {"2": 7}')).toEqual([
      { path: '/2/0/2', reason: 'resource 2 (ACL) has multiple instances: give {"INSTANCE": VALUE, ...}' },
    ]);
    expect(refusals('writep /2/0 {"2": {"0": 7, "1": "all"}}')).toEqual([
      { path: '/2/0/2/1', reason: 'resource 2 (ACL): invalid integer value "all": expected a decimal integer' },
    ]);
  });

  it('refuses gt/lt/st on a resource that is not numeric, and attributes on a resource that is not readable', () => {
    expect(refusals('writeattr /3/0/14 gt=1')).toEqual([
      { path: '/3/0/14', reason: 'gt, lt and st apply to numeric resources only (Core 1.1 section 5.1.2); 14 (UTC Offset) is string' },
    ]);
    expect(refusals('writeattr /3/0/4 pmin=1')).toEqual([
      { path: '/3/0/4', reason: 'resource 4 (Reboot) takes no notification attributes: it is not readable (operations: E)' },
    ]);
  });

  it('names every failing path of a composite command', () => {
    expect(refusals('cread /3/0/0 /3/0/4 /9999')).toEqual([
      { path: '/3/0/4', reason: 'resource 4 (Reboot) is not readable (operations: E)' },
      { path: '/9999', reason: 'object 9999 is unknown: there is no object model for it' },
    ]);
    expect(refusals('cwrite /3/0/14=+02 /3/0/0=x /1/0/1=y')).toEqual([
      { path: '/3/0/0', reason: 'resource 0 (Manufacturer) is not writable (operations: R)' },
      { path: '/1/0/1', reason: 'resource 1 (Lifetime): invalid integer value "y": expected a decimal integer' },
    ]);
  });
});

describe("ShellCommandChecker: the device's own objects and versions", () => {
  it('refuses an object the device does not report, even if the catalog knows it', () => {
    const device: ShellCheckContext = { catalog, deviceObjects: new Map([[3, '1.0'], [1, '1.0']]) };
    expect(refusals('read /3303/0/5700', device)).toEqual([{ path: '/3303', reason: 'the device does not report object 3303 in its registration' }]);
    expect(refusals('fwupdate fw;1.0;http://h/f', device)).toEqual([{ path: '/5', reason: 'the device does not report object 5 in its registration' }]);
  });

  it("checks against the device's object version", () => {
    // Resource 22 exists in Device 1.1 only.
    expect(() => check('read /3/0/22', { catalog, deviceObjects: new Map([[3, '1.1']]) })).not.toThrow();
    expect(refusals('read /3/0/22', { catalog, deviceObjects: new Map([[3, '1.0']]) })).toEqual([
      { path: '/3/0/22', reason: 'resource 22 is not defined by object 3 (Device) version 1.0' },
    ]);
  });

  it('falls back to the newest model when the device reports a version the catalog does not hold', () => {
    expect(() => check('read /3/0/22', { catalog, deviceObjects: new Map([[3, '1.2']]) })).not.toThrow();
  });
});

describe('ShellCommandChecker with the shipped core object models', () => {
  const core: ShellCheckContext = { catalog: coreObjectCatalog() };

  it.each([
    'read /3/0/0',
    'observe /3303/0/5700',
    'execute /3/0/4',
    'cancelobservation /3303/0/5700',
    'delete /3303/0',
    'discover /3/0',
    'create /3303',
    'writeattr /3303/0/5700 pmin=10&pmax=60&gt=25&lt=15&st=1',
    'write /1/0/1 300',
    'writep /5/0 {"1": "coap://127.0.0.1/fw"}',
    'fwupdate /fw/1.0/coap://127.0.0.1/fw',
  ])('accepts %s', (line) => {
    expect(() => check(line, core)).not.toThrow();
  });

  it('refuses what the real models forbid', () => {
    expect(refusals('write /3/0/4 1', core)).toEqual([{ path: '/3/0/4', reason: 'resource 4 (Reboot) is not writable (operations: E)' }]);
    expect(refusals('execute /3303/0/5700', core)).toEqual([
      { path: '/3303/0/5700', reason: 'resource 5700 (Sensor Value) is not executable (operations: R)' },
    ]);
    expect(refusals('create /5', core)).toEqual([
      { path: '/5', reason: 'object 5 (Firmware Update) version 1.2 is single-instance: its one instance cannot be created' },
    ]);
  });

  it('follows the version the device registered: /1/0/22 exists from LwM2M Server 1.1 on', () => {
    expect(() => check('read /1/0/22', { ...core, deviceObjects: new Map([[1, '1.1']]) })).not.toThrow();
    expect(refusals('read /1/0/22', { ...core, deviceObjects: new Map([[1, '1.0']]) })).toEqual([
      { path: '/1/0/22', reason: 'resource 22 is not defined by object 1 (LwM2M Server) version 1.0' },
    ]);
  });
});
