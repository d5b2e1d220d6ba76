/**
 * The yardstick of the fleet benchmarks: a bare `node:dgram` receiver in its own process that does the
 * least an LwM2M server must do for the fleet to run (answer Register and Update, observe the sensor
 * value when `--observe` is given, acknowledge confirmable notifications) and otherwise only counts
 * what arrives. Notifications are recognised by their first two bytes, without decoding the message,
 * so its rate is what one process can take from the same simulator over loopback.
 *
 *   node bench/fleet/BareDatagramReceiver.ts [--observe]
 *
 * Prints `{"port":N}` once listening; on SIGTERM prints its counts as one JSON line and exits.
 */
import { createSocket } from 'node:dgram';
import type { RemoteInfo } from 'node:dgram';
import { OptionNumber, encodeUint, stringOption, stringOptions, uintOptionOf } from '../../src/adapters/coap/CoapMessage.ts';
import { decodeCoapMessage, encodeCoapMessage } from '../../src/adapters/coap/CoapMessageCodec.ts';

const observe = process.argv.includes('--observe');
const socket = createSocket('udp4');
const counts = { notifications: 0, registrations: 0, updates: 0, observed: 0 };
let nextRegistration = 0;
let nextMessageId = 0;
/** RFC 7252 section 3: the first byte holds the version (1), the type and the token length; the second the code. */
const CODE_CONTENT = 0x45;
const TYPE_CON = 0;
const TYPE_NON = 1;
const TYPE_ACK = 2;

function answer(bytes: Uint8Array, peer: RemoteInfo): void {
  const type = ((bytes[0] ?? 0) >> 4) & 0x3;
  const code = bytes[1] ?? 0;
  if (code === CODE_CONTENT && (type === TYPE_NON || type === TYPE_CON)) {
    counts.notifications++;
    // An empty ACK (RFC 7252 section 4.2): version 1, type ACK, no token, code 0.00, the message id.
    if (type === TYPE_CON) socket.send(Uint8Array.of(0x60, 0, bytes[2] ?? 0, bytes[3] ?? 0), peer.port, peer.address);
    return;
  }
  if (code === CODE_CONTENT && type === TYPE_ACK) {
    counts.observed++;
    return;
  }
  const decoded = decodeCoapMessage(bytes);
  if (!decoded.ok || decoded.message.type !== 'CON' || decoded.message.code !== '0.02') return;
  const request = decoded.message;
  const path = stringOptions(request.options, OptionNumber.UriPath);
  const registering = path.length === 1;
  const location = registering ? ['rd', String(nextRegistration++)] : [];
  socket.send(
    encodeCoapMessage({
      type: 'ACK',
      code: registering ? '2.01' : '2.04',
      messageId: request.messageId,
      token: request.token,
      options: location.map((segment) => stringOption(OptionNumber.LocationPath, segment)),
      payload: new Uint8Array(0),
    }),
    peer.port,
    peer.address,
  );
  if (registering) counts.registrations++;
  else counts.updates++;
  if (registering && observe) {
    nextMessageId = (nextMessageId + 1) & 0xffff;
    socket.send(
      encodeCoapMessage({
        type: 'CON',
        code: '0.01',
        messageId: nextMessageId,
        token: encodeUint(nextRegistration),
        options: [uintOptionOf(OptionNumber.Observe, 0), stringOption(OptionNumber.UriPath, '3303'), stringOption(OptionNumber.UriPath, '0'), stringOption(OptionNumber.UriPath, '5700')],
        payload: new Uint8Array(0),
      }),
      peer.port,
      peer.address,
    );
  }
}

socket.on('message', answer);
socket.bind(0, '127.0.0.1', () => process.stdout.write(`${JSON.stringify({ port: socket.address().port })}\n`));
process.once('SIGTERM', () => {
  process.stdout.write(`${JSON.stringify(counts)}\n`);
  socket.close();
});
