/**
 * The Send operation (LwM2M Core 1.1 section 6.4.6; Transport 1.1 section 6.4: `POST /dp`): a
 * registered client pushes values in SenML JSON or SenML CBOR (LwM2M CBOR from 1.2). The device is the
 * one registered from the message's source address; each value is recorded with its path, type and
 * the device's time, and the server answers 2.04 Changed. A device that is not registered gets 4.03, a
 * payload that does not decode gets 4.00 with the reason.
 */
import type { Clock } from '../../domain/Clock.ts';
import type { ObjectModelCatalog } from '../../domain/lwm2m/ObjectModel.ts';
import { decodeEntries } from '../../domain/lwm2m/content/ContentCodecs.ts';
import { CONTENT_FORMAT } from '../../domain/lwm2m/content/ContentFormat.ts';
import type { CoapResponse, IncomingCoapRequest } from '../../adapters/coap/CoapEndpoint.ts';
import type { RegistrationLookup } from '../registration/RegistrationLookup.ts';
import type { ResourceValueRecorder } from './ResourceValueRecorder.ts';
import type { DevicePresence } from '../operations/DevicePresence.ts';

const sendFormats: readonly number[] = [CONTENT_FORMAT.senmlJson, CONTENT_FORMAT.senmlCbor, CONTENT_FORMAT.lwm2mCbor];

export interface SendReceiverOptions {
  readonly registrations: RegistrationLookup;
  readonly recorder: ResourceValueRecorder;
  readonly catalog: ObjectModelCatalog;
  readonly clock: Clock;
  /** Told of every Send: the device is awake (queue mode, Core 1.1 section 6.5). */
  readonly presence: DevicePresence;
}

export class SendReceiver {
  readonly #options: SendReceiverOptions;

  constructor(options: SendReceiverOptions) {
    this.#options = options;
  }

  async handle(request: IncomingCoapRequest): Promise<CoapResponse> {
    // Send is the resource `/dp` itself (Transport 1.1 section 6.4); nothing lies under it.
    if (request.path.length !== 1) return { code: '4.04' };
    if (request.method !== 'POST') return { code: '4.05' };
    const registration = this.#options.registrations.registrationAt(request.peer);
    if (!registration) return { code: '4.03', payload: utf8('Send from a client that is not registered at this address') };
    this.#options.presence.heard(registration.endpoint);
    const format = request.contentFormat;
    if (format === undefined || !sendFormats.includes(format)) return { code: '4.15', payload: utf8('Send takes SenML JSON (110), SenML CBOR (112) or LwM2M CBOR (11544)') };
    const values = decodeEntries(format, request.payload, this.#options.catalog, { now: this.#options.clock.now().getTime() / 1000 });
    if (!values.ok) return { code: '4.00', payload: utf8(values.error.message.slice(0, 200)) };
    await this.#options.recorder.record({ endpoint: registration.endpoint, source: 'send', values: values.value, operationId: null, observationToken: null, registration });
    return { code: '2.04' };
  }
}

function utf8(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}
