/** Whether libcoap's clients (Debian libcoap3-bin, installed by .ci/run) are on this machine. */
import { execFileSync } from 'node:child_process';

export function libcoapAvailable(): boolean {
  try {
    execFileSync('coap-client-openssl', ['-h'], { stdio: 'ignore' });
    return true;
  } catch (error) {
    // coap-client -h exits non-zero after printing its help; only a missing binary means unavailable.
    return (error as NodeJS.ErrnoException).code !== 'ENOENT';
  }
}
