import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ShellCommand } from '../../../src/domain/shell/ShellCommand.ts';
import type { ShellSyntaxError } from '../../../src/domain/shell/ShellCommandParser.ts';
import { SHELL_COMMAND_USAGE, parseShellCommand, parseShellScript } from '../../../src/domain/shell/ShellCommandParser.ts';
import { ROOT_PATH } from '../../../src/domain/lwm2m/LwM2mPath.ts';

function parsed(line: string): ShellCommand {
  const result = parseShellCommand(line);
  if (!result.ok) throw new Error(`expected "${line}" to parse, got ${result.error.message}`);
  return result.command;
}

function syntaxError(line: string): ShellSyntaxError {
  const result = parseShellCommand(line);
  if (result.ok) throw new Error(`expected "${line}" to fail, got ${JSON.stringify(result.command)}`);
  return result.error;
}

/** The column of the first occurrence of `marker` in `line`, 1-based. */
function columnOf(line: string, marker: string, from = 0): number {
  const index = line.indexOf(marker, from);
  if (index === -1) throw new Error(`"${marker}" is not in "${line}"`);
  return index + 1;
}

describe('ShellCommandParser: the commands of the guide', () => {
  it('parses read at every path level', () => {
    expect(parsed('read /3')).toEqual({ kind: 'read', path: { objectId: 3 } });
    expect(parsed('read /3/0')).toEqual({ kind: 'read', path: { objectId: 3, instanceId: 0 } });
    expect(parsed('read /3/0/1')).toEqual({ kind: 'read', path: { objectId: 3, instanceId: 0, resourceId: 1 } });
    expect(parsed('read /3/0/6/1')).toEqual({
      kind: 'read',
      path: { objectId: 3, instanceId: 0, resourceId: 6, resourceInstanceId: 1 },
    });
    expect(parsed('read /65534/65534/65534/65534')).toEqual({
      kind: 'read',
      path: { objectId: 65534, instanceId: 65534, resourceId: 65534, resourceInstanceId: 65534 },
    });
  });

  it('parses observe, cancelobservation, cancelobserve and discover on objects, instances and resources', () => {
    for (const kind of ['observe', 'discover'] as const) {
      expect(parsed(`${kind} /3303`)).toEqual({ kind, path: { objectId: 3303 } });
      expect(parsed(`${kind} /3303/1`)).toEqual({ kind, path: { objectId: 3303, instanceId: 1 } });
      expect(parsed(`${kind} /3303/1/5700`)).toEqual({ kind, path: { objectId: 3303, instanceId: 1, resourceId: 5700 } });
    }
    for (const kind of ['cancelobservation', 'cancelobserve'] as const) {
      expect(parsed(`${kind} /3303`)).toEqual({ kind, paths: [{ objectId: 3303 }] });
      expect(parsed(`${kind} /3303/1/5700`)).toEqual({ kind, paths: [{ objectId: 3303, instanceId: 1, resourceId: 5700 }] });
    }
  });

  it('parses the options between the command name and its arguments: --format by short name or id, --depth of discover', () => {
    expect(parsed('read --format senml-cbor /3/0')).toEqual({ kind: 'read', path: { objectId: 3, instanceId: 0 }, format: 112 });
    expect(parsed('read	--format  60 /3/0/9')).toEqual({ kind: 'read', path: { objectId: 3, instanceId: 0, resourceId: 9 }, format: 60 });
    expect(parsed('write --format cbor /3/0/14 +02 --format x')).toEqual({ kind: 'write', path: { objectId: 3, instanceId: 0, resourceId: 14 }, value: '+02 --format x', format: 60 });
    expect(parsed('cread --format senml-json / /3/0')).toEqual({ kind: 'cread', paths: [ROOT_PATH, { objectId: 3, instanceId: 0 }], format: 110 });
    expect(parsed('cwrite --format tlv /3/0/14=+02')).toMatchObject({ kind: 'cwrite', format: 11542 });
    expect(parsed('discover --depth 1 /3')).toEqual({ kind: 'discover', path: { objectId: 3 }, depth: 1 });
  });

  it('parses observe with its own attributes, and cancels of several paths or the root (an Observe-Composite)', () => {
    expect(parsed('observe --format text /3303/0/5700 pmin=10&pmax=60&greater=30')).toEqual({
      kind: 'observe',
      path: { objectId: 3303, instanceId: 0, resourceId: 5700 },
      attributes: { pmin: 10, pmax: 60, gt: 30 },
      format: 0,
    });
    expect(parsed('cancelobserve /3303/0/5700 /3/0/9')).toEqual({ kind: 'cancelobserve', paths: [{ objectId: 3303, instanceId: 0, resourceId: 5700 }, { objectId: 3, instanceId: 0, resourceId: 9 }] });
    expect(parsed('cancelobservation /')).toEqual({ kind: 'cancelobservation', paths: [ROOT_PATH] });
    expect(parsed('cobserve /')).toEqual({ kind: 'cobserve', paths: [ROOT_PATH] });
  });

  it('parses execute without and with arguments (Core 1.1 section 5.4.5)', () => {
    expect(parsed('execute /3/0/4')).toEqual({ kind: 'execute', path: { objectId: 3, instanceId: 0, resourceId: 4 }, arguments: [] });
    expect(parsed("execute /3/0/4 0='abc',1")).toEqual({
      kind: 'execute',
      path: { objectId: 3, instanceId: 0, resourceId: 4 },
      arguments: [
        { digit: 0, value: 'abc' },
        { digit: 1, value: null },
      ],
    });
    expect(parsed("execute /1/0/8 5='',9='!#$%&()*+,-./:;<=>?@[]^_`{|}~'")).toEqual({
      kind: 'execute',
      path: { objectId: 1, instanceId: 0, resourceId: 8 },
      arguments: [
        { digit: 5, value: '' },
        { digit: 9, value: '!#$%&()*+,-./:;<=>?@[]^_`{|}~' },
      ],
    });
  });

  it('parses delete of an instance and of a resource', () => {
    expect(parsed('delete /3303/1')).toEqual({ kind: 'delete', path: { objectId: 3303, instanceId: 1 } });
    expect(parsed('delete /3303/1/5750')).toEqual({ kind: 'delete', path: { objectId: 3303, instanceId: 1, resourceId: 5750 } });
  });

  it('parses create without JSON and with JSON, members in the order written', () => {
    expect(parsed('create /3303')).toEqual({ kind: 'create', path: { objectId: 3303 }, resources: [] });
    expect(parsed('create /3303 {}')).toEqual({ kind: 'create', path: { objectId: 3303 }, resources: [] });
    expect(parsed('create /3303 {"5750": "kitchen", "5700": 21.5, "6": {"0": 1, "2": true}}')).toEqual({
      kind: 'create',
      path: { objectId: 3303 },
      resources: [
        { resourceId: 5750, value: 'kitchen' },
        { resourceId: 5700, value: 21.5 },
        {
          resourceId: 6,
          value: [
            { resourceInstanceId: 0, value: 1 },
            { resourceInstanceId: 2, value: true },
          ],
        },
      ],
    });
  });

  it('parses writeattr with every attribute, the guide names and the protocol names', () => {
    expect(parsed('writeattr /3303/0/5700 pmin=10&pmax=60&greater=30&less=10.5&step=2&epmin=1&epmax=120')).toEqual({
      kind: 'writeattr',
      path: { objectId: 3303, instanceId: 0, resourceId: 5700 },
      attributes: { pmin: 10, pmax: 60, gt: 30, lt: 10.5, st: 2, epmin: 1, epmax: 120 },
      cancel: false,
    });
    expect(parsed('writeattr /3303/0/5700 ?gt=-1.5&lt=-10&st=0.25')).toEqual({
      kind: 'writeattr',
      path: { objectId: 3303, instanceId: 0, resourceId: 5700 },
      attributes: { gt: -1.5, lt: -10, st: 0.25 },
      cancel: false,
    });
    expect(parsed('writeattr /3303 pmin=5')).toEqual({
      kind: 'writeattr',
      path: { objectId: 3303 },
      attributes: { pmin: 5 },
      cancel: false,
    });
    expect(parsed('writeattr /3303/0/5700 cancel')).toEqual({
      kind: 'writeattr',
      path: { objectId: 3303, instanceId: 0, resourceId: 5700 },
      attributes: {},
      cancel: true,
    });
    expect(parsed('writeattr /3303/0/5700 pmin=10&pmax=10')).toMatchObject({ attributes: { pmin: 10, pmax: 10 } });
  });

  it('parses the LwM2M 1.2 attributes edge, con and hqmax, con and hqmax on an instance too', () => {
    expect(parsed('writeattr /3/0/9 edge=1&con=0&hqmax=20')).toMatchObject({ attributes: { edge: 1, con: 0, hqmax: 20 } });
    expect(parsed('writeattr /3303/0 con=1&hqmax=0')).toMatchObject({ attributes: { con: 1, hqmax: 0 } });
    expect(parsed('observe /3303/0/5700 con=1')).toMatchObject({ kind: 'observe', attributes: { con: 1 } });
  });

  it('parses fwupdate: first segment the name, second the version, the rest (slashes included) the URL', () => {
    expect(parsed('fwupdate /tracker-fw/2.1.0/http://firmware.example.com/files/tracker/2.1.0.bin')).toEqual({
      kind: 'fwupdate',
      name: 'tracker-fw',
      version: '2.1.0',
      url: 'http://firmware.example.com/files/tracker/2.1.0.bin',
    });
    expect(parsed('fwupdate /fw/1.0/coaps://[::1]:5684/fw/1.0')).toEqual({
      kind: 'fwupdate',
      name: 'fw',
      version: '1.0',
      url: 'coaps://[::1]:5684/fw/1.0',
    });
  });

  it('parses the newer fwupdate NAME;VERSION;URL, the URL keeping its own semicolons', () => {
    expect(parsed('fwupdate tracker-fw;2.1.0;https://firmware.example.com/get;id=7')).toEqual({
      kind: 'fwupdate',
      name: 'tracker-fw',
      version: '2.1.0',
      url: 'https://firmware.example.com/get;id=7',
    });
  });
});

describe('ShellCommandParser: the commands beyond the guide', () => {
  it('parses write with a bare value (the rest of the line) and with a quoted value', () => {
    expect(parsed('write /3/0/14 +02:00')).toEqual({ kind: 'write', path: { objectId: 3, instanceId: 0, resourceId: 14 }, value: '+02:00' });
    expect(parsed('write /3/0/15 Europe/Berlin and more  ')).toEqual({
      kind: 'write',
      path: { objectId: 3, instanceId: 0, resourceId: 15 },
      value: 'Europe/Berlin and more',
    });
    expect(parsed('write /3/0/15 "  padded \\"quoted\\" \\\\ "')).toEqual({
      kind: 'write',
      path: { objectId: 3, instanceId: 0, resourceId: 15 },
      value: '  padded "quoted" \\ ',
    });
    expect(parsed('write /3/0/15 ""')).toEqual({ kind: 'write', path: { objectId: 3, instanceId: 0, resourceId: 15 }, value: '' });
    expect(parsed('write /1/0/6/2 7')).toEqual({
      kind: 'write',
      path: { objectId: 1, instanceId: 0, resourceId: 6, resourceInstanceId: 2 },
      value: '7',
    });
  });

  it('parses writep with a JSON object', () => {
    expect(parsed('writep /1/0 {"1": 300, "7": "UQ"}')).toEqual({
      kind: 'writep',
      path: { objectId: 1, instanceId: 0 },
      resources: [
        { resourceId: 1, value: 300 },
        { resourceId: 7, value: 'UQ' },
      ],
    });
  });

  it('parses cread and cobserve over space-separated paths', () => {
    expect(parsed('cread /3/0/0 /3/0/1\t/1/0 /5')).toEqual({
      kind: 'cread',
      paths: [
        { objectId: 3, instanceId: 0, resourceId: 0 },
        { objectId: 3, instanceId: 0, resourceId: 1 },
        { objectId: 1, instanceId: 0 },
        { objectId: 5 },
      ],
    });
    expect(parsed('cobserve /3303/0/5700 /3/0/9')).toEqual({
      kind: 'cobserve',
      paths: [
        { objectId: 3303, instanceId: 0, resourceId: 5700 },
        { objectId: 3, instanceId: 0, resourceId: 9 },
      ],
    });
  });

  it('parses cwrite path=value pairs, bare and quoted', () => {
    expect(parsed('cwrite /3/0/14=+02 /1/0/1=60')).toEqual({
      kind: 'cwrite',
      assignments: [
        { path: { objectId: 3, instanceId: 0, resourceId: 14 }, value: '+02' },
        { path: { objectId: 1, instanceId: 0, resourceId: 1 }, value: '60' },
      ],
    });
    expect(parsed('cwrite /3/0/15="Europe/Berlin time" /3/0/14=a=b')).toEqual({
      kind: 'cwrite',
      assignments: [
        { path: { objectId: 3, instanceId: 0, resourceId: 15 }, value: 'Europe/Berlin time' },
        { path: { objectId: 3, instanceId: 0, resourceId: 14 }, value: 'a=b' },
      ],
    });
  });

  it('takes command names in any case and ignores blanks around the command', () => {
    expect(parsed('READ /3')).toEqual({ kind: 'read', path: { objectId: 3 } });
    expect(parsed('  CancelObserve\t/3/0/9  ')).toEqual({ kind: 'cancelobserve', paths: [{ objectId: 3, instanceId: 0, resourceId: 9 }] });
  });
});

describe('ShellCommandParser: grammar errors name the column, what was expected and the usage', () => {
  const cases: { line: string; column: number | [string, number?]; expected: RegExp; usage: string }[] = [
    { line: 'bogus /3', column: 1, expected: /^a command: read, observe, .*cwrite$/, usage: 'COMMAND' },
    { line: 'readx /3', column: 1, expected: /^a command:/, usage: 'COMMAND' },
    { line: '/3/0/1', column: 1, expected: /^a command:/, usage: 'COMMAND' },
    { line: 'read', column: 5, expected: /^a path \/O\[\/I\[\/R\[\/RI\]\]\]$/, usage: SHELL_COMMAND_USAGE.read },
    { line: 'read 3/0', column: 6, expected: /^a path /, usage: SHELL_COMMAND_USAGE.read },
    { line: 'read /3/x', column: 9, expected: /^an id from 0 to 65534/, usage: SHELL_COMMAND_USAGE.read },
    { line: 'read /3/01', column: 9, expected: /without leading zeros/, usage: SHELL_COMMAND_USAGE.read },
    { line: 'read /65535', column: 7, expected: /^an id from 0 to 65534/, usage: SHELL_COMMAND_USAGE.read },
    { line: 'read /3/', column: 9, expected: /^an id/, usage: SHELL_COMMAND_USAGE.read },
    { line: 'read /3/0/1/2/3', column: 14, expected: /at most 4 level/, usage: SHELL_COMMAND_USAGE.read },
    { line: 'read /3/0 /1', column: ['/1'], expected: /^the end of the line$/, usage: SHELL_COMMAND_USAGE.read },
    { line: 'read /3x', column: 8, expected: /^'\/' or the end of the path/, usage: SHELL_COMMAND_USAGE.read },
    { line: 'observe /3/0/1/2', column: 15, expected: /at most 3 level/, usage: SHELL_COMMAND_USAGE.observe },
    { line: 'execute /3/0', column: 13, expected: /the path is \/O\/I\/R$/, usage: SHELL_COMMAND_USAGE.execute },
    { line: 'execute /3/0/4 a', column: 16, expected: /^an argument digit 0-9$/, usage: SHELL_COMMAND_USAGE.execute },
    { line: 'execute /3/0/4 0=abc', column: 18, expected: /single quotes/, usage: SHELL_COMMAND_USAGE.execute },
    { line: "execute /3/0/4 0='a b'", column: 20, expected: /closing "'"/, usage: SHELL_COMMAND_USAGE.execute },
    { line: "execute /3/0/4 0='a\"b'", column: 20, expected: /closing "'"/, usage: SHELL_COMMAND_USAGE.execute },
    { line: "execute /3/0/4 0='abc", column: 22, expected: /closing "'"/, usage: SHELL_COMMAND_USAGE.execute },
    { line: 'execute /3/0/4 0,', column: 18, expected: /^an argument digit/, usage: SHELL_COMMAND_USAGE.execute },
    { line: 'execute /3/0/4 12', column: 17, expected: /^',' and the next argument/, usage: SHELL_COMMAND_USAGE.execute },
    { line: 'delete /3', column: 10, expected: /the path is \/O\/I\[\/R\]$/, usage: SHELL_COMMAND_USAGE.delete },
    { line: 'create /3303/0', column: 13, expected: /at most 1 level/, usage: SHELL_COMMAND_USAGE.create },
    { line: 'create /3303 [1]', column: 14, expected: /^a JSON object/, usage: SHELL_COMMAND_USAGE.create },
    { line: 'create /3303 {"5700" 1}', column: 22, expected: /^valid JSON: ':'$/, usage: SHELL_COMMAND_USAGE.create },
    { line: 'create /3303 {"5700": 1', column: 24, expected: /^valid JSON: ',' or '}'$/, usage: SHELL_COMMAND_USAGE.create },
    { line: 'create /3303 {"5700": tru}', column: 23, expected: /^valid JSON: "true"$/, usage: SHELL_COMMAND_USAGE.create },
    { line: 'create /3303 {"1": 1, "1": 2}', column: 23, expected: /no duplicates/, usage: SHELL_COMMAND_USAGE.create },
    { line: 'create /3303 {"name": 1}', column: 15, expected: /^a resource id from 0 to 65534/, usage: SHELL_COMMAND_USAGE.create },
    { line: 'create /3303 {"6": {"x": 1}}', column: 21, expected: /^a resource instance id/, usage: SHELL_COMMAND_USAGE.create },
    { line: 'create /3303 {"5700": [1]}', column: 23, expected: /^a string, number or boolean/, usage: SHELL_COMMAND_USAGE.create },
    { line: 'create /3303 {"5700": null}', column: 23, expected: /^a string, number or boolean/, usage: SHELL_COMMAND_USAGE.create },
    { line: 'create /3303 {} x', column: 17, expected: /^the end of the line$/, usage: SHELL_COMMAND_USAGE.create },
    { line: 'writep /1/0', column: 12, expected: /^a JSON object of resource values$/, usage: SHELL_COMMAND_USAGE.writep },
    { line: 'writep /1/0 {}', column: 13, expected: /^at least one resource value/, usage: SHELL_COMMAND_USAGE.writep },
    { line: 'writep /1 {"1": 2}', column: 10, expected: /the path is \/O\/I$/, usage: SHELL_COMMAND_USAGE.writep },
    { line: 'write /3/0/14', column: 14, expected: /^a value$/, usage: SHELL_COMMAND_USAGE.write },
    { line: 'write /3/0/14   ', column: 17, expected: /^a value$/, usage: SHELL_COMMAND_USAGE.write },
    { line: 'write /3/0 1', column: 11, expected: /the path is \/O\/I\/R\[\/RI\]$/, usage: SHELL_COMMAND_USAGE.write },
    { line: 'write /3/0/14 "abc', column: 15, expected: /closing '"'/, usage: SHELL_COMMAND_USAGE.write },
    { line: 'write /3/0/14 "a\\n"', column: 17, expected: /^an escape/, usage: SHELL_COMMAND_USAGE.write },
    { line: 'write /3/0/14 "a" b', column: 19, expected: /^the end of the line$/, usage: SHELL_COMMAND_USAGE.write },
    { line: 'writeattr /3/0/9', column: 17, expected: /^notification attributes/, usage: SHELL_COMMAND_USAGE.writeattr },
    { line: 'writeattr /3/0/9 pmin', column: 22, expected: /^'=' and the value of pmin$/, usage: SHELL_COMMAND_USAGE.writeattr },
    { line: 'writeattr /3/0/9 max=3', column: 18, expected: /^an attribute pmin, pmax/, usage: SHELL_COMMAND_USAGE.writeattr },
    { line: 'writeattr /3/0/9 PMIN=3', column: 18, expected: /^an attribute pmin, pmax/, usage: SHELL_COMMAND_USAGE.writeattr },
    { line: 'writeattr /3/0/9 pmin=-1', column: 23, expected: /whole seconds/, usage: SHELL_COMMAND_USAGE.writeattr },
    { line: 'writeattr /3/0/9 pmin=1.5', column: 23, expected: /whole seconds/, usage: SHELL_COMMAND_USAGE.writeattr },
    { line: 'writeattr /3/0/9 pmin=010', column: 23, expected: /whole seconds/, usage: SHELL_COMMAND_USAGE.writeattr },
    { line: 'writeattr /3/0/9 pmax=4294967296', column: 23, expected: /whole seconds from 0 to 4294967295/, usage: SHELL_COMMAND_USAGE.writeattr },
    { line: 'writeattr /3/0/9 gt=1e3', column: 21, expected: /a decimal number/, usage: SHELL_COMMAND_USAGE.writeattr },
    { line: 'writeattr /3/0/9 gt=+1', column: 21, expected: /a decimal number/, usage: SHELL_COMMAND_USAGE.writeattr },
    { line: 'writeattr /3/0/9 gt=.5', column: 21, expected: /a decimal number/, usage: SHELL_COMMAND_USAGE.writeattr },
    { line: 'writeattr /3/0/9 st=-1', column: 21, expected: /not negative/, usage: SHELL_COMMAND_USAGE.writeattr },
    { line: 'writeattr /3/0/9 pmin=10&pmax=5', column: ['pmax'], expected: /^a pmax of at least pmin \(10\)$/, usage: SHELL_COMMAND_USAGE.writeattr },
    { line: 'writeattr /3/0/9 epmin=10&epmax=5', column: ['epmax'], expected: /^an epmax of at least epmin/, usage: SHELL_COMMAND_USAGE.writeattr },
    { line: 'writeattr /3/0/9 lt=10&gt=10', column: ['gt'], expected: /^a gt above lt \+ 2 \* st \(10 \+ 2 \* 0\)$/, usage: SHELL_COMMAND_USAGE.writeattr },
    { line: 'writeattr /3/0/9 gt=15&st=3&lt=10', column: ['lt'], expected: /^an lt below gt - 2 \* st \(15 - 2 \* 3\)$/, usage: SHELL_COMMAND_USAGE.writeattr },
    { line: 'writeattr /3/0/9 pmin=1&pmin=2', column: ['pmin', 18], expected: /not given before \(pmin is\)/, usage: SHELL_COMMAND_USAGE.writeattr },
    { line: 'writeattr /3/0/9 gt=1&greater=2', column: ['greater'], expected: /not given before \(gt is\)/, usage: SHELL_COMMAND_USAGE.writeattr },
    { line: 'writeattr /3/0/9 pmin=1&cancel', column: ['cancel'], expected: /^cancel alone/, usage: SHELL_COMMAND_USAGE.writeattr },
    { line: 'writeattr /3/0 gt=1', column: 16, expected: /gt applies to a resource only/, usage: SHELL_COMMAND_USAGE.writeattr },
    { line: 'writeattr /3/0/9 pmin=1&', column: 25, expected: /^an attribute/, usage: SHELL_COMMAND_USAGE.writeattr },
    { line: 'writeattr /3/0/9 {pmin=1}', column: 18, expected: /^an attribute/, usage: SHELL_COMMAND_USAGE.writeattr },
    { line: 'fwupdate', column: 9, expected: /^\/NAME\/VERSION\/URL or NAME;VERSION;URL$/, usage: SHELL_COMMAND_USAGE.fwupdate },
    { line: 'fwupdate //1.0/http://h/f', column: 11, expected: /^a firmware name$/, usage: SHELL_COMMAND_USAGE.fwupdate },
    { line: 'fwupdate /fw', column: 13, expected: /^'\/' and the firmware version$/, usage: SHELL_COMMAND_USAGE.fwupdate },
    { line: 'fwupdate /fw//http://h/f', column: 14, expected: /^a firmware version$/, usage: SHELL_COMMAND_USAGE.fwupdate },
    { line: 'fwupdate /fw/1.0', column: 17, expected: /^'\/' and the firmware URL$/, usage: SHELL_COMMAND_USAGE.fwupdate },
    { line: 'fwupdate /fw/1.0/', column: 18, expected: /^an absolute firmware URL/, usage: SHELL_COMMAND_USAGE.fwupdate },
    { line: 'fwupdate /fw/1.0/ftp://h/f', column: 18, expected: /^an absolute firmware URL/, usage: SHELL_COMMAND_USAGE.fwupdate },
    { line: 'fwupdate fw;1.0;http://', column: 17, expected: /^an absolute firmware URL/, usage: SHELL_COMMAND_USAGE.fwupdate },
    { line: 'fwupdate fw', column: 12, expected: /^';' and the firmware version$/, usage: SHELL_COMMAND_USAGE.fwupdate },
    { line: 'fwupdate fw;1.0;http://h/f extra', column: ['extra'], expected: /^the end of the line$/, usage: SHELL_COMMAND_USAGE.fwupdate },
    { line: 'cread', column: 6, expected: /^a path /, usage: SHELL_COMMAND_USAGE.cread },
    { line: 'read --format', column: 14, expected: /^a content format: F one of text, opaque, cbor, senml-json/, usage: SHELL_COMMAND_USAGE.read },
    { line: 'read --format xml /3/0', column: 15, expected: /^a content format:/, usage: SHELL_COMMAND_USAGE.read },
    { line: 'read --format 61 /3/0', column: 15, expected: /^a content format:/, usage: SHELL_COMMAND_USAGE.read },
    { line: 'read --format tlv --format tlv /3/0', column: ['--format', 18], expected: /given once/, usage: SHELL_COMMAND_USAGE.read },
    { line: 'read --depth 1 /3/0', column: 6, expected: /^the arguments of read \(or an option it takes/, usage: SHELL_COMMAND_USAGE.read },
    { line: 'delete --format tlv /3/0', column: 8, expected: /^the arguments of delete/, usage: SHELL_COMMAND_USAGE.delete },
    { line: 'discover --depth 4 /3', column: 18, expected: /^a depth from 0 to 3$/, usage: SHELL_COMMAND_USAGE.discover },
    { line: 'observe /3/0/9 cancel', column: 16, expected: /^an attribute pmin, pmax, epmin, epmax, gt \(greater\), lt \(less\), st \(step\), edge, con, hqmax$/, usage: SHELL_COMMAND_USAGE.observe },
    { line: 'writeattr /3/0/9 edge=2', column: 23, expected: /^the value of edge: 0 or 1$/, usage: SHELL_COMMAND_USAGE.writeattr },
    { line: 'writeattr /3/0/9 con=yes', column: 22, expected: /^the value of con: 0 or 1$/, usage: SHELL_COMMAND_USAGE.writeattr },
    { line: 'writeattr /3/0/9 hqmax=-1', column: 24, expected: /^the value of hqmax: a whole number from 0/, usage: SHELL_COMMAND_USAGE.writeattr },
    { line: 'writeattr /3/0 edge=1', column: 16, expected: /edge applies to a resource only/, usage: SHELL_COMMAND_USAGE.writeattr },
    { line: 'observe /3/0 gt=1', column: 14, expected: /applies to a resource only/, usage: SHELL_COMMAND_USAGE.observe },
    { line: 'cancelobserve /3/0/9/1', column: 21, expected: /at most 3 level/, usage: SHELL_COMMAND_USAGE.cancelobserve },
    { line: 'cread //3', column: 8, expected: /^an id/, usage: SHELL_COMMAND_USAGE.cread },
    { line: 'cread /3 x', column: 10, expected: /^a path /, usage: SHELL_COMMAND_USAGE.cread },
    { line: 'cobserve /3/0/9/1', column: 16, expected: /at most 3 level/, usage: SHELL_COMMAND_USAGE.cobserve },
    { line: 'cwrite /3/0/14', column: 15, expected: /^'=' and the value$/, usage: SHELL_COMMAND_USAGE.cwrite },
    { line: 'cwrite /3/0/14=', column: 16, expected: /^a value \(write "" for an empty string\)$/, usage: SHELL_COMMAND_USAGE.cwrite },
    { line: 'cwrite /3/0=1', column: 12, expected: /the path is \/O\/I\/R\[\/RI\]$/, usage: SHELL_COMMAND_USAGE.cwrite },
    { line: 'cwrite /3/0/14="a"b', column: 19, expected: /^a blank between assignments$/, usage: SHELL_COMMAND_USAGE.cwrite },
    { line: 'cwrite /3/0/14=1 /3/0/14=2', column: 18, expected: /not assigned before on this line \(\/3\/0\/14 is\)/, usage: SHELL_COMMAND_USAGE.cwrite },
  ];

  it.each(cases)('$line', ({ line, column, expected, usage }) => {
    const error = syntaxError(line);
    const expectedColumn = typeof column === 'number' ? column : columnOf(line, column[0], column[1] ?? 0);
    expect(error.line).toBe(1);
    expect(error.column).toBe(expectedColumn);
    expect(error.expected).toMatch(expected);
    expect(error.usage.startsWith(usage)).toBe(true);
    expect(error.message).toBe(`line 1, column ${expectedColumn}: expected ${error.expected} (usage: ${error.usage})`);
  });

  it('refuses JSON nested deeper than the limit instead of overflowing the stack', () => {
    const deep = `create /3303 {"1": ${'['.repeat(100_000)}`;
    const error = syntaxError(deep);
    expect(error.expected).toMatch(/levels of nesting/);
  });
});

describe('ShellCommandParser: scripts', () => {
  it('runs one command per line in order, skipping blank lines and # comments', () => {
    const result = parseShellScript('# reboot after setting the clock\r\nwrite /3/0/13 1700000000\n\n   \n  # another comment\nexecute /3/0/4\n');
    expect(result).toEqual({
      ok: true,
      commands: [
        { line: 2, text: 'write /3/0/13 1700000000', command: { kind: 'write', path: { objectId: 3, instanceId: 0, resourceId: 13 }, value: '1700000000' } },
        { line: 6, text: 'execute /3/0/4', command: { kind: 'execute', path: { objectId: 3, instanceId: 0, resourceId: 4 }, arguments: [] } },
      ],
    });
  });

  it("reports every line's error with its line number", () => {
    const result = parseShellScript('read /3\nread /3/x\n# fine\nfrob /1\nobserve /3/0/9');
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors.map((error) => [error.line, error.column])).toEqual([
      [2, 9],
      [4, 1],
    ]);
    expect(result.errors[0]?.message).toMatch(/^line 2, column 9: expected an id/);
    expect(result.errors[1]?.message).toMatch(/^line 4, column 1: expected a command/);
  });

  it('refuses a script without a command', () => {
    const result = parseShellScript('\n# nothing to do\n  \n');
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]).toMatchObject({ line: 1, column: 1 });
    expect(result.errors[0]?.expected).toMatch(/^a command/);
  });
});

describe('ShellCommandParser: properties', () => {
  const commandNames = Object.keys(SHELL_COMMAND_USAGE);
  const shellAlphabet = fc.constantFrom(...'/0123456789 \t=&;,\'"{}[]:.-+?#abcgtlpminxsu\\'.split(''));
  const shellish = fc.oneof(
    fc.string({ maxLength: 60 }),
    fc.tuple(fc.constantFrom(...commandNames), fc.string({ unit: shellAlphabet, maxLength: 60 })).map(([name, rest]) => `${name} ${rest}`),
  );

  it('never throws, and every error points inside the line or just after it', () => {
    fc.assert(
      fc.property(shellish, (line) => {
        const result = parseShellCommand(line);
        if (!result.ok) {
          expect(result.error.column).toBeGreaterThanOrEqual(1);
          expect(result.error.column).toBeLessThanOrEqual(line.length + 1);
          expect(result.error.expected.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('never throws on scripts either', () => {
    fc.assert(
      fc.property(fc.array(shellish, { maxLength: 8 }), (lines) => {
        const result = parseShellScript(lines.join('\n'));
        if (!result.ok) for (const error of result.errors) expect(error.line).toBeGreaterThanOrEqual(1);
      }),
      { numRuns: 500 },
    );
  });

  it('reads back every path it prints', () => {
    const id = fc.integer({ min: 0, max: 65534 });
    fc.assert(
      fc.property(fc.array(id, { minLength: 1, maxLength: 4 }), (ids) => {
        const [objectId, instanceId, resourceId, resourceInstanceId] = ids;
        const command = parsed(`read /${ids.join('/')}`);
        expect(command).toEqual({ kind: 'read', path: { objectId, instanceId, resourceId, resourceInstanceId } });
      }),
    );
  });

  it('reads back every quoted write value', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (value) => {
        const quoted = `"${value.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
        expect(parsed(`write /3/0/15 ${quoted}`)).toEqual({ kind: 'write', path: { objectId: 3, instanceId: 0, resourceId: 15 }, value });
      }),
    );
  });

  it('reads back any JSON object of resource values, in order', () => {
    const scalar = fc.oneof(fc.string({ maxLength: 10 }), fc.boolean(), fc.double({ noNaN: true, noDefaultInfinity: true }));
    fc.assert(
      fc.property(fc.uniqueArray(fc.tuple(fc.integer({ min: 0, max: 65534 }), scalar), { selector: ([id]) => id, maxLength: 6 }), (members) => {
        const json = `{${members.map(([id, value]) => `${JSON.stringify(String(id))}: ${JSON.stringify(value)}`).join(', ')}}`;
        const command = parsed(`create /3303 ${json}`);
        const expectedValues = members.map(([resourceId, value]) => ({ resourceId, value: JSON.parse(JSON.stringify(value)) as unknown }));
        expect(command).toEqual({ kind: 'create', path: { objectId: 3303 }, resources: expectedValues });
      }),
    );
  });
});
