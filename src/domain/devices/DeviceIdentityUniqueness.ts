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
  /** Its columns (at most two), with the index of each in this file's records; absent columns left out. */
  readonly columns: readonly { readonly field: DeviceCsvField; readonly index: number }[];
  /**
   * Each value's first occurrence, as `line * 2 + column index`: a number rather than an object and
   * an array per value keeps a 100,000-row file's three maps small and cheap to build.
   */
  readonly first: Map<string, number>;
  /** Every occurrence of the values seen more than once, the first included. */
  readonly repeated: Map<string, Occurrence[]>;
}

const namespaceFields: readonly { readonly what: string; readonly fields: readonly DeviceCsvField[] }[] = [
  { what: 'endpoint id', fields: ['endpoint'] },
  { what: 'LwM2M PSK identity', fields: ['lwm2mPskId'] },
  { what: 'bootstrap PSK identity', fields: ['bootstrapPskId', 'externalBootstrapPskId'] },
  // A raw public key selects its device during the DTLS handshake as a PSK identity does (RFC 7250).
  { what: 'public key', fields: ['publicKey'] },
];

export class DeviceIdentityUniqueness {
  readonly #header: DeviceCsvHeader;
  readonly #namespaces: readonly Namespace[];

  constructor(header: DeviceCsvHeader) {
    this.#header = header;
    this.#namespaces = namespaceFields.map(({ what, fields }) => ({
      what,
      columns: fields.flatMap((field) => {
        const cell = header.cells.get(field);
        return cell === undefined ? [] : [{ field, index: cell.columnNumber - 1 }];
      }),
      first: new Map(),
      repeated: new Map(),
    }));
  }

  add(record: DeviceCsvRecord, line: number): void {
    for (const namespace of this.#namespaces) {
      let previousOfRow: string | undefined;
      for (let index = 0; index < namespace.columns.length; index++) {
        const column = namespace.columns[index];
        if (column === undefined) continue;
        const { field } = column;
        const value = record[column.index]?.trim();
        // One device may use one identity in both columns of a namespace (at most two columns).
        if (value === undefined || value === '' || value === previousOfRow) continue;
        previousOfRow = value;
        const first = namespace.first.get(value);
        if (first === undefined) {
          namespace.first.set(value, line * 2 + index);
          continue;
        }
        let occurrences = namespace.repeated.get(value);
        if (!occurrences) {
          occurrences = [{ line: Math.floor(first / 2), field: namespace.columns[first % 2]?.field ?? field }];
          namespace.repeated.set(value, occurrences);
        }
        occurrences.push({ line, field });
      }
    }
  }

  /** One problem on every line of every repeated value, naming the other lines. */
  problems(): DeviceCsvProblem[] {
    const problems: DeviceCsvProblem[] = [];
    for (const namespace of this.#namespaces) {
      for (const [value, occurrences] of namespace.repeated) {
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
