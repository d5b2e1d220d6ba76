/** The fleet simulator's flags: defaults, the server URI, and a clear message for each wrong flag. */
import { describe, expect, it } from 'vitest';
import { parseFleetCommandLine } from '../../bench/fleet/FleetCommandLine.ts';

describe('the fleet simulator command line', () => {
  it('takes the server URI apart and fills in the defaults', () => {
    const command = parseFleetCommandLine(['--server', 'coaps://[::1]', '--devices', '7', '--queue-mode']);
    expect(command).toMatchObject({
      kind: 'run',
      options: { server: { host: '::1', port: 5684, secure: true }, devices: 7, prefix: 'fleet-', lifetime: 300, updateInterval: 240, rate: 0, notifying: undefined, confirmable: false, awakeMs: 10_000, sockets: undefined, graphql: undefined },
    });
  });

  it('turns --write-csv into the CSV of the same fleet, PSK for a coaps server', () => {
    expect(parseFleetCommandLine(['--write-csv', 'f.csv', '--server', 'coaps://hub:5684', '--devices', '3', '--prefix', 'm-', '--lifetime', '60'])).toEqual({
      kind: 'write-csv',
      file: 'f.csv',
      csv: { devices: 3, prefix: 'm-', serverUri: 'coaps://hub:5684', security: 'PSK', seed: 'lwm2m-hub-fleet', lifetime: 60, binding: 'U' },
    });
  });

  it.each([
    [[], '--server is required'],
    [['--server', 'http://x'], 'the scheme must be coap or coaps'],
    [['--server', 'coap://x', '--devices', '0'], '--devices "0": give a whole number >= 1'],
    [['--server', 'coap://x', '--rate', 'fast'], '--rate "fast"'],
    [['--server', 'coap://x', '--notifying', '0'], '--notifying "0": give a whole number >= 1'],
    [['--server', 'coaps://x', '--sockets', '4'], 'a DTLS session belongs to one socket'],
    [['--server', 'coap://x', '--graphql', 'http://h/graphql'], '--graphql and --token go together'],
    [['--server', 'coap://x', '--prefix', 'a;b'], '--prefix "a;b"'],
    [['--server', 'coap://x', '--bogus'], "Unknown option '--bogus'"],
  ])('refuses %j: %s', (argv, message) => {
    const command = parseFleetCommandLine(argv);
    expect(command.kind).toBe('error');
    expect(command.kind === 'error' ? command.message : '').toContain(message);
  });
});
