/**
 * libcoap's coap-client (Debian package libcoap3-bin, installed by .ci/run) as an independent CoAP peer
 * in tests: it runs with -v 6, which prints the response's header and options, and the response line
 * ("v:1 t:ACK c:2.05 i:... [ Content-Format:application/senml+cbor, ... ]") is read from its output.
 */
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Whether libcoap's `client` (coap-client-notls, -openssl, -gnutls: all of libcoap3-bin) is on this machine. */
export function libcoapAvailable(client = 'coap-client-notls'): boolean {
  try {
    execFileSync(client, ['-h'], { stdio: 'ignore' });
    return true;
  } catch (error) {
    // coap-client -h exits non-zero after printing its help; only a missing binary means unavailable.
    return (error as NodeJS.ErrnoException).code !== 'ENOENT';
  }
}

export interface LibcoapReply {
  readonly code: string;
  readonly locationPath: readonly string[];
  /** The Content-Format option as libcoap names it ("application/senml+cbor"); undefined without one. */
  readonly contentFormat: string | undefined;
}

/**
 * Runs `client` (coap-client-notls by default; -openssl or -gnutls for coaps and coaps+tcp) with `args`
 * (a payload goes to the file of `-o` when given) and reads the response line; over TCP and TLS it
 * reads "v:1 t:CON c:2.05 i:0000", the type and id libcoap prints for a reliable transport.
 */
export async function coapClient(args: readonly string[], client = 'coap-client-notls'): Promise<LibcoapReply> {
  const { stdout, stderr } = await run(client, ['-v', '6', '-B', '5', ...args], { timeout: 15_000 });
  const lines = `${stdout}\n${stderr}`.split('\n');
  const response = lines.find((line) => /^v:1 t:(ACK|CON|NON) c:[245]\.\d\d/.test(line));
  if (!response) throw new Error(`no response in coap-client output:\n${stdout}\n${stderr}`);
  const code = /c:(\d\.\d\d)/.exec(response)?.[1] ?? '';
  const locationPath = [...response.matchAll(/Location-Path:([^,\s\]]+)/g)].map((match) => match[1] ?? '');
  const contentFormat = /Content-Format:([^,\s\]]+)/.exec(response)?.[1];
  return { code, locationPath, contentFormat };
}
