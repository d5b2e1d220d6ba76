/**
 * What both CoAP endpoints (datagram and stream) share of requests: the options of one we send, and
 * how a request message that arrives becomes the response to send:
 * the method, the critical options (RFC 7252 section 5.4.1), block-wise bodies (RFC 7959, through
 * `BlockwiseResponder`), then the one request handler, whose failure becomes 5.00 and a log line;
 * and a response that matches no request of ours, offered to the one unsolicited-response handler.
 */
import type { Logger } from '../logging/Logger.ts';
import type { BlockMessage, BlockwiseResponder } from './BlockwiseTransfers.ts';
import type { CoapPeer, CoapRequestHandler, CoapResponse, IncomingCoapRequest, OutgoingCoapRequest, UnsolicitedResponseHandler } from './CoapEndpoint.ts';
import { peerKey } from './CoapEndpoint.ts';
import type { CoapOption } from './CoapMessage.ts';
import { OptionNumber, isCriticalOption, methodOfCode, stringOption, stringOptions, uintOption, uintOptionOf } from './CoapMessage.ts';

/** Options the endpoints understand in requests; any other critical option gets 4.02 (RFC 7252 section 5.4.1). */
const understoodRequestOptions = new Set<number>([
  OptionNumber.UriHost,
  OptionNumber.UriPort,
  OptionNumber.UriPath,
  OptionNumber.UriQuery,
  OptionNumber.Accept,
  OptionNumber.Block1,
  OptionNumber.Block2,
]);

export interface RequestServing {
  readonly handler: CoapRequestHandler | undefined;
  readonly blockwise: BlockwiseResponder;
  /** Block size for Block2 slices of our responses. */
  readonly blockSize: number;
  /** Largest response body sent whole (the block size over datagrams; more over a stream whose peer takes larger messages). */
  readonly wholeBodyLimit: number;
  readonly logger: Logger;
}

export async function serveRequest(message: BlockMessage, peer: CoapPeer, serving: RequestServing): Promise<CoapResponse> {
  const method = methodOfCode(message.code);
  if (!method) return { code: '4.05' };
  const unknown = message.options.find((option) => isCriticalOption(option.number) && !understoodRequestOptions.has(option.number));
  if (unknown) {
    serving.logger.debug({ peer, option: unknown.number }, 'request with an unrecognised critical option');
    return { code: '4.02', payload: new TextEncoder().encode(`unrecognised critical option ${unknown.number}`) };
  }
  const path = stringOptions(message.options, OptionNumber.UriPath);
  const query = stringOptions(message.options, OptionNumber.UriQuery);
  const transferKey = `${peerKey(peer)}|${message.code}|${path.join('/')}?${query.join('&')}`;

  const blockwise = serving.blockwise.begin(transferKey, message, serving.blockSize);
  if (blockwise.kind === 'reply') return blockwise.response;

  const handler = serving.handler;
  if (!handler) return { code: '5.03' };
  const request: IncomingCoapRequest = {
    peer,
    method,
    path,
    query,
    contentFormat: uintOption(message.options, OptionNumber.ContentFormat),
    accept: uintOption(message.options, OptionNumber.Accept),
    observe: uintOption(message.options, OptionNumber.Observe),
    payload: blockwise.payload,
    options: message.options,
  };
  let response: CoapResponse;
  try {
    response = await handler(request);
  } catch (error) {
    serving.logger.error({ err: error, peer, method, path: path.join('/') }, 'CoAP request handler failed');
    return { code: '5.00' };
  }
  return serving.blockwise.finish(transferKey, response, blockwise, serving.blockSize, serving.wholeBodyLimit);
}

/** The options of a request we send, before any block option. */
export function requestOptions(request: OutgoingCoapRequest): CoapOption[] {
  const options: CoapOption[] = [
    ...request.path.map((segment) => stringOption(OptionNumber.UriPath, segment)),
    ...(request.query ?? []).map((argument) => stringOption(OptionNumber.UriQuery, argument)),
  ];
  if (request.contentFormat !== undefined) options.push(uintOptionOf(OptionNumber.ContentFormat, request.contentFormat));
  if (request.accept !== undefined) options.push(uintOptionOf(OptionNumber.Accept, request.accept));
  if (request.observe !== undefined) options.push(uintOptionOf(OptionNumber.Observe, request.observe));
  return options;
}

/** The options of a response we send. */
export function responseOptions(response: CoapResponse): CoapOption[] {
  const options: CoapOption[] = [...(response.options ?? [])];
  for (const segment of response.locationPath ?? []) options.push(stringOption(OptionNumber.LocationPath, segment));
  if (response.contentFormat !== undefined) options.push(uintOptionOf(OptionNumber.ContentFormat, response.contentFormat));
  return options;
}

/**
 * Offers a response that matches no request of ours (a notification of an observation, RFC 7641
 * section 3.2) to the endpoint's unsolicited-response handler: false when the handler did not take
 * it, true when it took it, or, when it takes it and stores it later, a promise of whether it was
 * stored (it never rejects: the handler logs its own failures). A handler that throws takes nothing
 * and is logged.
 */
export function offerUnsolicited(
  handler: UnsolicitedResponseHandler | undefined,
  message: BlockMessage & { readonly token: Uint8Array },
  peer: CoapPeer,
  logger: Logger,
): boolean | Promise<boolean> {
  if (handler === undefined) return false;
  try {
    const taken = handler({
      peer,
      token: message.token,
      code: message.code,
      observe: uintOption(message.options, OptionNumber.Observe),
      contentFormat: uintOption(message.options, OptionNumber.ContentFormat),
      payload: message.payload,
      options: message.options,
    });
    return typeof taken === 'boolean' ? taken : taken.then(() => true, () => false);
  } catch (error) {
    logger.error({ err: error, peer }, 'unsolicited response handler failed');
    return false;
  }
}
