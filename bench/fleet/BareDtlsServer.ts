/**
 * The yardstick of the PSK handshake benchmark: the service's DTLS server (src/adapters/dtls) alone in
 * its own process, with its default limits, whose PSK lookup answers at once from a map of the fleet's
 * keys (FleetCredentials), where the service reads the device bound to the identity and opens its sealed
 * key. Sessions end when the client sends close_notify; nothing above DTLS runs.
 *
 *   node bench/fleet/BareDtlsServer.ts --devices N --prefix P --psk-seed S
 *
 * Prints `{"port":N}` once listening; stops on SIGTERM.
 */
import { parseArgs } from 'node:util';
import { DtlsServer } from '../../src/adapters/dtls/DtlsServer.ts';
import { silentLogger } from '../../src/adapters/logging/Logger.ts';
import { endpointName, lwm2mPsk } from './FleetCredentials.ts';

const { values } = parseArgs({
  options: {
    devices: { type: 'string', default: '1000' },
    prefix: { type: 'string', default: 'fleet-' },
    'psk-seed': { type: 'string', default: 'lwm2m-hub-fleet' },
  },
});
const keys = new Map<string, Buffer>();
for (let index = 0; index < Number(values.devices); index++) {
  const psk = lwm2mPsk(values['psk-seed'], endpointName(values.prefix, index));
  keys.set(psk.identity, psk.key);
}
const server = new DtlsServer({ logger: silentLogger(), pskLookup: (identity) => Promise.resolve(keys.get(identity.toString())) });
const { port } = await server.listen(0, '127.0.0.1');
process.stdout.write(`${JSON.stringify({ port })}\n`);
process.once('SIGTERM', () => void server.close());
