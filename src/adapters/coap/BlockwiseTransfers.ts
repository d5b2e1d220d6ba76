/**
 * Block-wise transfers, RFC 7959, as both CoAP endpoints use them: over datagrams (RFC 7252) and over
 * TCP and TLS (RFC 8323 section 6, where blocks let a body larger than the peer's Max-Message-Size
 * through; BERT, its larger blocks, is optional and not offered).
 *
 * - Sending: `sendBlock1` sends a request body block by block, following the size the peer asks
 *   for; `fetchBlock2` fetches the remaining blocks of a response, bounded by `maxBodySize`. Each
 *   takes the endpoint's way of exchanging one request message for its response message.
 * - Serving: `BlockwiseResponder` reassembles Block1 request bodies and slices large responses into
 *   Block2 blocks, keeping at most `maxTransfers` of each for `lifetimeMs`.
 */
import type { BlockOption } from './BlockOption.ts';
import { decodeBlockOption, encodeBlockOption } from './BlockOption.ts';
import type { CoapPeer, CoapResponse, IncomingCoapResponse } from './CoapEndpoint.ts';
import { CoapProtocolError } from './CoapEndpoint.ts';
import type { CoapOption } from './CoapMessage.ts';
import { OptionNumber, firstOptionValue, noBytes, uintOption, uintOptionOf } from './CoapMessage.ts';

/** What block-wise transfers need of a message, of either format. */
export interface BlockMessage {
  readonly code: string;
  readonly options: readonly CoapOption[];
  readonly payload: Uint8Array;
}

/** Sends one request message with these options and payload; resolves with the response message. */
export type BlockExchange = (options: CoapOption[], payload: Uint8Array) => Promise<BlockMessage>;

/** How large the messages to a peer may be. */
export interface BlockSizes {
  /** Block size for Block1 requests and Block2 responses. */
  readonly blockSize: number;
  /** Largest body sent whole (the block size over datagrams; more over a stream whose peer takes larger messages). */
  readonly wholeBodyLimit: number;
  /** Largest body a peer may make us reassemble from its blocks. */
  readonly maxBodySize: number;
}

/**
 * Sends a request: from a given Block2 block on (the rest of a block-wise notification), whole, or
 * block by block with Block1; then fetches the response's remaining Block2 blocks.
 */
export async function sendRequest(
  peer: CoapPeer,
  exchange: BlockExchange,
  options: readonly CoapOption[],
  body: Uint8Array,
  block2: { readonly num: number; readonly size: number } | undefined,
  sizes: BlockSizes,
): Promise<IncomingCoapResponse> {
  if (block2 !== undefined) {
    const first: BlockOption = { num: block2.num, more: false, size: block2.size };
    const response = await exchange(withBlock2(options, first), body);
    return fetchBlock2(peer, exchange, options, response, first.num * first.size, sizes.maxBodySize);
  }
  const response = body.length <= sizes.wholeBodyLimit ? await exchange([...options], body) : await sendBlock1(exchange, options, body, sizes.blockSize);
  return fetchBlock2(peer, exchange, options, response, 0, sizes.maxBodySize);
}

/** RFC 7959 section 2.5: sends the body block by block, following the size the peer asks for. */
async function sendBlock1(exchange: BlockExchange, options: readonly CoapOption[], body: Uint8Array, blockSize: number): Promise<BlockMessage> {
  let size = blockSize;
  let offset = 0;
  for (;;) {
    const num = offset / size;
    const chunk = body.subarray(offset, offset + size);
    const more = offset + chunk.length < body.length;
    const blockOptions = [...options, { number: OptionNumber.Block1, value: encodeBlockOption({ num, more, size }) }];
    if (num === 0) blockOptions.push(uintOptionOf(OptionNumber.Size1, body.length));
    const response = await exchange(blockOptions, chunk);
    if (!more || response.code !== '2.31') return response;
    const echoed = firstOptionValue(response.options, OptionNumber.Block1);
    const block = echoed ? decodeBlockOption(echoed) : undefined;
    offset += chunk.length;
    if (block?.ok && block.block.size < size) size = block.block.size;
  }
}

/** The options of a request for one Block2 block (RFC 7959 section 2.4). */
function withBlock2(options: readonly CoapOption[], block: BlockOption): CoapOption[] {
  return [...options, { number: OptionNumber.Block2, value: encodeBlockOption(block) }];
}

/**
 * RFC 7959 section 2.4: fetches the remaining blocks of a response, bounded by maxBodySize; `offset`
 * is where the first response's payload starts in the body (0, or the bytes the caller already has).
 */
async function fetchBlock2(
  peer: CoapPeer,
  exchange: BlockExchange,
  options: readonly CoapOption[],
  first: BlockMessage,
  offset: number,
  maxBodySize: number,
): Promise<IncomingCoapResponse> {
  let response = first;
  const chunks: Uint8Array[] = [];
  let received = offset;
  for (;;) {
    const raw = firstOptionValue(response.options, OptionNumber.Block2);
    chunks.push(response.payload);
    received += response.payload.length;
    if (received > maxBodySize) throw new CoapProtocolError(peer, `response body exceeds ${maxBodySize} bytes`);
    if (raw === undefined) break;
    const decoded = decodeBlockOption(raw);
    if (!decoded.ok) throw new CoapProtocolError(peer, `bad Block2 option: ${decoded.reason}`);
    if (!decoded.block.more) break;
    const next: BlockOption = { num: received / decoded.block.size, more: false, size: decoded.block.size };
    if (!Number.isInteger(next.num)) throw new CoapProtocolError(peer, 'Block2 payload is not a multiple of the block size');
    response = await exchange(withBlock2(options, next), new Uint8Array(0));
  }
  const payload = chunks.length === 1 ? (chunks[0] as Uint8Array) : Buffer.concat(chunks);
  return { code: response.code, payload, contentFormat: uintOption(response.options, OptionNumber.ContentFormat), options: response.options };
}

export interface BlockwiseResponderOptions {
  /** Largest request body a peer may make us reassemble. */
  readonly maxBodySize: number;
  /** Bound on concurrent Block1 reassemblies, and on cached Block2 bodies. */
  readonly maxTransfers: number;
  /** How long a transfer's state is kept for its next block. */
  readonly lifetimeMs: number;
  /** Milliseconds on a monotonic clock, the one `sweep` is given. */
  readonly now: () => number;
}

interface BlockTransfer {
  readonly expiresAt: number;
  readonly size: number;
  nextNum: number;
  received: number;
  readonly chunks: Uint8Array[];
}

interface CachedBody {
  readonly expiresAt: number;
  readonly response: CoapResponse;
  readonly body: Uint8Array;
}

/** What a request comes to before its handler runs: a reply to send at once, or the body to handle. */
export type BlockwiseRequest =
  | { readonly kind: 'reply'; readonly response: CoapResponse }
  | { readonly kind: 'handle'; readonly payload: Uint8Array; readonly block1Echo: BlockOption | undefined; readonly block2: BlockOption | undefined };

export class BlockwiseResponder {
  readonly #options: BlockwiseResponderOptions;
  readonly #block1Transfers = new Map<string, BlockTransfer>();
  readonly #block2Bodies = new Map<string, CachedBody>();

  constructor(options: BlockwiseResponderOptions) {
    this.#options = options;
  }

  /**
   * `key` names the transfer (peer, method, path and query). Reassembles a Block1 body (RFC 7959
   * section 2.5: 2.31 Continue until the last block) and serves further Block2 blocks of a cached body.
   */
  begin(key: string, message: BlockMessage, blockSize: number): BlockwiseRequest {
    let payload = message.payload;
    let block1Echo: BlockOption | undefined;
    const block1Raw = firstOptionValue(message.options, OptionNumber.Block1);
    if (block1Raw !== undefined) {
      const assembled = this.#receiveBlock1(key, block1Raw, message);
      if ('code' in assembled) return { kind: 'reply', response: assembled };
      payload = assembled.payload;
      block1Echo = assembled.echo;
    }
    const block2Raw = firstOptionValue(message.options, OptionNumber.Block2);
    let block2: BlockOption | undefined;
    if (block2Raw !== undefined) {
      const decoded = decodeBlockOption(block2Raw);
      if (!decoded.ok) return { kind: 'reply', response: { code: '4.00', payload: utf8(`Block2: ${decoded.reason}`) } };
      block2 = decoded.block;
      const cached = this.#block2Bodies.get(key);
      if (block2.num > 0 && cached) return { kind: 'reply', response: sliceBlock2(cached.response, cached.body, block2, blockSize) };
    }
    return { kind: 'handle', payload, block1Echo, block2 };
  }

  /**
   * The handler's response as it goes out: Block1 echoed, a body larger than `wholeBodyLimit` sliced
   * into blocks of `blockSize` (and cached for the next blocks).
   */
  finish(key: string, handled: CoapResponse, request: Extract<BlockwiseRequest, { kind: 'handle' }>, blockSize: number, wholeBodyLimit: number): CoapResponse {
    let response = handled;
    const body = response.payload ?? noBytes;
    if (request.block1Echo) response = { ...response, options: [...(response.options ?? []), { number: OptionNumber.Block1, value: encodeBlockOption(request.block1Echo) }] };
    if (body.length <= wholeBodyLimit && !request.block2) return response;
    const requested = request.block2 ?? { num: 0, more: false, size: blockSize };
    if (requested.size * (requested.num + 1) < body.length) {
      evictIfFull(this.#block2Bodies, this.#options.maxTransfers);
      this.#block2Bodies.set(key, { expiresAt: this.#options.now() + this.#options.lifetimeMs, response, body });
    }
    return sliceBlock2(response, body, requested, blockSize);
  }

  /** Forgets the transfers past their lifetime (`now` from the `now` option's clock). */
  sweep(now: number): void {
    for (const map of [this.#block1Transfers, this.#block2Bodies] as Map<string, { expiresAt: number }>[]) {
      for (const [key, entry] of map) {
        if (entry.expiresAt > now) break; // insertion order is expiry order within each map
        map.delete(key);
      }
    }
  }

  #receiveBlock1(key: string, raw: Uint8Array, message: BlockMessage): CoapResponse | { payload: Uint8Array; echo: BlockOption } {
    const decoded = decodeBlockOption(raw);
    if (!decoded.ok) return { code: '4.00', payload: utf8(`Block1: ${decoded.reason}`) };
    const block = decoded.block;
    const { maxBodySize } = this.#options;
    const size1 = uintOption(message.options, OptionNumber.Size1);
    if (size1 !== undefined && size1 > maxBodySize) return tooLarge(maxBodySize);
    if (block.more && message.payload.length !== block.size) return { code: '4.00', payload: utf8('a non-final block must be exactly the block size') };
    let transfer = this.#block1Transfers.get(key);
    if (block.num === 0) {
      evictIfFull(this.#block1Transfers, this.#options.maxTransfers);
      transfer = { expiresAt: this.#options.now() + this.#options.lifetimeMs, size: block.size, nextNum: 0, received: 0, chunks: [] };
      this.#block1Transfers.set(key, transfer);
    }
    if (!transfer || block.num !== transfer.nextNum || block.size !== transfer.size) return { code: '4.08', payload: utf8('block out of sequence') };
    transfer.received += message.payload.length;
    if (transfer.received > maxBodySize) {
      this.#block1Transfers.delete(key);
      return tooLarge(maxBodySize);
    }
    transfer.chunks.push(message.payload);
    transfer.nextNum++;
    if (block.more) return { code: '2.31', options: [{ number: OptionNumber.Block1, value: encodeBlockOption(block) }] };
    this.#block1Transfers.delete(key);
    return { payload: Buffer.concat(transfer.chunks), echo: block };
  }
}

/** Maps keep insertion order: the first key is the oldest, dropped first when a bound is reached. */
export function evictIfFull<V>(map: Map<string, V>, bound: number): void {
  while (map.size >= bound) {
    const oldest = map.keys().next();
    if (oldest.done === true) return;
    map.delete(oldest.value);
  }
}

function sliceBlock2(response: CoapResponse, body: Uint8Array, requested: BlockOption, maxSize: number): CoapResponse {
  const size = Math.min(requested.size, maxSize);
  const start = requested.num * size;
  if (start >= body.length && !(start === 0 && body.length === 0)) return { code: '4.02', payload: utf8('block number beyond the end of the body') };
  const end = Math.min(start + size, body.length);
  const block: BlockOption = { num: requested.num, more: end < body.length, size };
  const options = (response.options ?? []).filter((option) => option.number !== OptionNumber.Block2);
  options.push({ number: OptionNumber.Block2, value: encodeBlockOption(block) });
  if (requested.num === 0) options.push(uintOptionOf(OptionNumber.Size2, body.length));
  return { ...response, options, payload: body.subarray(start, end) };
}

/** RFC 7959 section 2.9.3: 4.13 with Size1 telling the largest body the server accepts. */
export function tooLarge(max: number): CoapResponse {
  return { code: '4.13', options: [uintOptionOf(OptionNumber.Size1, max)] };
}

function utf8(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}
