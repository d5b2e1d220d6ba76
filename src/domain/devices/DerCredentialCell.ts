/**
 * A public credential in one CSV cell: an X.509 certificate or a SubjectPublicKeyInfo, as DER written
 * in base64 or in hexadecimal. Every DER structure here is a SEQUENCE (0x30), which base64 writes as
 * "M..." and hex as "30...", so the two spellings cannot be mistaken for each other. PEM is not taken:
 * its line breaks do not fit a CSV cell.
 *
 * The checks are structural (pure: no certificate parser in the domain): one complete DER SEQUENCE,
 * and for a public key exactly the SubjectPublicKeyInfo of an uncompressed secp256r1 point, the one
 * curve of RFC 7925 section 4.4.1. A certificate's contents are judged when the device presents it.
 */

export type DerCell = { readonly ok: true; readonly der: Uint8Array } | { readonly ok: false; readonly message: string };

/** Big enough for a certificate with a few extensions; a CSV cell is no place for more. */
const MAX_DER_BYTES = 4096;

/**
 * The 26 bytes before the point in a secp256r1 SubjectPublicKeyInfo (RFC 5480 section 2): SEQUENCE,
 * AlgorithmIdentifier { id-ecPublicKey, secp256r1 }, BIT STRING of 66 bytes with no unused bits.
 */
const SECP256R1_SPKI_PREFIX = Uint8Array.from([
  0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42,
  0x00,
]);
const SECP256R1_SPKI_LENGTH = SECP256R1_SPKI_PREFIX.length + 65;

/** The DER bytes of a cell holding base64 or hex DER of one SEQUENCE. */
export function derCell(text: string, what: string): DerCell {
  let bytes: Uint8Array;
  if (/^[0-9a-fA-F]+$/.test(text)) {
    if (text.length % 2 !== 0) return { ok: false, message: `the ${what} has an odd number of hex digits (${text.length}); each byte takes two` };
    bytes = Uint8Array.from({ length: text.length / 2 }, (_, i) => Number.parseInt(text.slice(2 * i, 2 * i + 2), 16));
  } else if (/^[A-Za-z0-9+/]+={0,2}$/.test(text) && text.length % 4 !== 1) {
    bytes = Uint8Array.from(atob(text.padEnd(Math.ceil(text.length / 4) * 4, '=')), (c) => c.charCodeAt(0));
  } else {
    return { ok: false, message: `the ${what} must be DER in base64 or in hex digits` };
  }
  if (bytes.length > MAX_DER_BYTES) return { ok: false, message: `the ${what} is ${bytes.length} bytes long; at most ${MAX_DER_BYTES} are allowed` };
  const length = sequenceLength(bytes);
  if (length === undefined) return { ok: false, message: `the ${what} is not DER (it must be one ASN.1 SEQUENCE)` };
  if (length !== bytes.length) return { ok: false, message: `the ${what} is not DER: its SEQUENCE is ${length} bytes long, the cell holds ${bytes.length}` };
  return { ok: true, der: bytes };
}

/** A secp256r1 SubjectPublicKeyInfo with an uncompressed point (RFC 5480 section 2.2). */
export function isSecp256r1PublicKeyInfo(der: Uint8Array): boolean {
  return der.length === SECP256R1_SPKI_LENGTH && SECP256R1_SPKI_PREFIX.every((byte, i) => der[i] === byte) && der[SECP256R1_SPKI_PREFIX.length] === 0x04;
}

/** The canonical text kept in the registration: base64 of the DER. */
export function derText(der: Uint8Array): string {
  return btoa(String.fromCharCode(...der));
}

/** The whole length (header included) of the DER SEQUENCE at the start, or undefined when there is none (X.690 section 8.1.3). */
function sequenceLength(bytes: Uint8Array): number | undefined {
  if (bytes[0] !== 0x30 || bytes.length < 2) return undefined;
  const first = bytes[1] ?? 0;
  if (first < 0x80) return 2 + first;
  const octets = first & 0x7f;
  // DER: the long form only for lengths of 128 and more, in as few octets as possible (X.690 section 10.1).
  if (octets === 0 || octets > 2 || bytes.length < 2 + octets || bytes[2] === 0) return undefined;
  let length = 0;
  for (let i = 0; i < octets; i++) length = length * 256 + (bytes[2 + i] ?? 0);
  return length < 128 ? undefined : 2 + octets + length;
}
