/**
 * The retransmission timer of a handshake flight (RFC 6347 section 4.2.4.1): when it fires the flight
 * is sent again and the timer doubles, up to a maximum, until the peer's next flight stops it.
 */
export class FlightTimer {
  private readonly maxMs: number;
  private currentMs: number;
  private timer: NodeJS.Timeout | undefined;

  constructor(initialMs: number, maxMs: number) {
    this.currentMs = initialMs;
    this.maxMs = maxMs;
  }

  /** Arms the timer after the flight went out; `resend` sends it again (and arms the timer again). */
  arm(resend: () => void): void {
    this.stop();
    this.timer = setTimeout(() => {
      this.currentMs = Math.min(this.currentMs * 2, this.maxMs);
      resend();
    }, this.currentMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
