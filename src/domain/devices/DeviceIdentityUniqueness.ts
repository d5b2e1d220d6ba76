/**
 * Cross-row rules of a registration CSV: an endpoint id names one device, and a PSK identity selects
 * one device's key during the DTLS handshake (RFC 4279 section 2), so neither may appear on two rows;
 * nor may a raw public key (the same key written once in hex and once in base64 is not caught here).
 * LwM2M PSK identities and bootstrap identities are separate namespaces (they are presented to
 * different servers); "bootstrap psk_id" and "external-c8y_BootstrapPskId" share the bootstrap one, as
 * both find a device during bootstrap.
 *
 * It reads the raw cells, not validated rows, so that a duplicate of an invalid row is still caught:
 * otherwise "valid rows only" would import the second of two rows meant for one device.
 */
import type { DeviceCsvField } from './DeviceCsvColumns.ts';
import type { DeviceCsvHeader } from './DeviceCsvHeader.ts';
import type { DeviceCsvProblem } from './DeviceCsvProblem.ts';
import type { DeviceCsvRecord } from './DeviceRowValidator.ts';

interface Occurrence {
  readonly line: number;
  readonly field: DeviceCsvField;
}

interface Namespace {
  readonly what: string;
  readonly fields: readonly DeviceCsvField[];
  readonly seen: Map<string, Occurrence[]>;
}

export class DeviceIdentityUniqueness {
  readonly #header: DeviceCsvHeader;
  readonly #namespaces: readonly Namespace[] = [
    { what: 'endpoint id', fields: ['endpoint'], seen: new Map() },
    { what: 'LwM2M PSK identity', fields: ['lwm2mPskId'], seen: new Map() },
    { what: 'bootstrap PSK identity', fields: ['bootstrapPskId', 'externalBootstrapPskId'], seen: new Map() },
    // A raw public key selects its device during the DTLS handshake as a PSK identity does (RFC 7250).
    { what: 'public key', fields: ['publicKey'], seen: new Map() },
  ];

  constructor(header: DeviceCsvHeader) {
    this.#header = header;
  }

  add(record: DeviceCsvRecord, line: number): void {
    for (const namespace of this.#namespaces) {
      let previousOfRow: string | undefined;
      for (const field of namespace.fields) {
        const cell = this.#header.cells.get(field);
        const value = cell === undefined ? undefined : record[cell.header]?.trim();
        // One device may use one identity in both columns of a namespace (at most two columns).
        if (value === undefined || value === '' || value === previousOfRow) continue;
        previousOfRow = value;
        const occurrences = namespace.seen.get(value);
        if (occurrences) occurrences.push({ line, field });
        else namespace.seen.set(value, [{ line, field }]);
      }
    }
  }

  /** One problem on every line of every repeated value, naming the other lines. */
  problems(): DeviceCsvProblem[] {
    const problems: DeviceCsvProblem[] = [];
    for (const namespace of this.#namespaces) {
      for (const [value, occurrences] of namespace.seen) {
        if (occurrences.length < 2) continue;
        for (const occurrence of occurrences) {
          const others = occurrences.filter((o) => o.line !== occurrence.line).map((o) => o.line);
          const cell = this.#header.cells.get(occurrence.field);
          problems.push({
            line: occurrence.line,
            column: cell?.header ?? occurrence.field,
            columnNumber: cell?.columnNumber ?? null,
            message: `${namespace.what} "${value}" is also on line${others.length > 1 ? 's' : ''} ${others.join(', ')}`,
          });
        }
      }
    }
    return problems;
  }
}
