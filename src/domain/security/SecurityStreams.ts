/**
 * The stream category of the DTLS ports' security audit: `security-<endpoint>` for a device's
 * credential, `security-peer-<address>` for a peer no device owns. A device's history lists it beside
 * the device's other stream categories.
 */
export const securityStreamPrefix = 'security-';
