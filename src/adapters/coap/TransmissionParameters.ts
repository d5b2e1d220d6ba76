/**
 * CoAP's transmission parameters, RFC 7252 section 4.8, as one object, with the derived times of
 * section 4.8.2. Tests of retransmission itself move fake time (`Timers`); tests of a whole service on
 * real time shrink ACK_TIMEOUT so that a lost exchange costs milliseconds.
 */
export interface TransmissionParameters {
  readonly ackTimeoutMs: number;
  readonly ackRandomFactor: number;
  readonly maxRetransmit: number;
  /** How long a request may wait for its (possibly separate) response after the ACK. */
  readonly responseTimeoutMs: number;
  /** Time a request may take before the server sends an empty ACK and answers separately. */
  readonly piggybackWindowMs: number;
  /** Largest message body a peer may make us reassemble from blocks: a request's (Block1), or a response's (Block2). */
  readonly maxBodySize: number;
  /** Block size used when a body does not fit in one datagram (RFC 7959 section 2.2). */
  readonly blockSize: number;
}

export const defaultTransmissionParameters: TransmissionParameters = {
  ackTimeoutMs: 2_000,
  ackRandomFactor: 1.5,
  maxRetransmit: 4,
  responseTimeoutMs: 93_000,
  piggybackWindowMs: 1_000,
  maxBodySize: 256 * 1024,
  blockSize: 1024,
};

/** RFC 7252 section 4.8.2: MAX_TRANSMIT_SPAN = ACK_TIMEOUT * (2^MAX_RETRANSMIT - 1) * ACK_RANDOM_FACTOR. */
export function maxTransmitSpanMs(p: TransmissionParameters): number {
  return p.ackTimeoutMs * (2 ** p.maxRetransmit - 1) * p.ackRandomFactor;
}

/**
 * RFC 7252 section 4.8.2: EXCHANGE_LIFETIME = MAX_TRANSMIT_SPAN + 2 * MAX_LATENCY + PROCESSING_DELAY,
 * with MAX_LATENCY 100 s and PROCESSING_DELAY = ACK_TIMEOUT; scaled with ACK_TIMEOUT so that tests
 * with short timeouts also have short lifetimes.
 */
export function exchangeLifetimeMs(p: TransmissionParameters): number {
  return maxTransmitSpanMs(p) + 2 * 50 * p.ackTimeoutMs + p.ackTimeoutMs;
}

/** RFC 7252 section 4.8.2: NON_LIFETIME = MAX_TRANSMIT_SPAN + MAX_LATENCY. */
export function nonLifetimeMs(p: TransmissionParameters): number {
  return maxTransmitSpanMs(p) + 50 * p.ackTimeoutMs;
}

/** RFC 7252 section 4.2: the first timeout is random between ACK_TIMEOUT and ACK_TIMEOUT * ACK_RANDOM_FACTOR. */
export function initialTimeoutMs(p: TransmissionParameters, random: number): number {
  return p.ackTimeoutMs * (1 + (p.ackRandomFactor - 1) * random);
}
