/** A UDP peer as the socket reports it; DTLS associations are keyed by it (RFC 6347 section 4.2.8). */
export interface PeerAddress {
  readonly address: string;
  readonly port: number;
}

export function peerKey(peer: PeerAddress): string {
  return `${peer.address}|${peer.port}`;
}
