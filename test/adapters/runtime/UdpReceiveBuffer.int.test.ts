import { createSocket } from 'node:dgram';
import type { Socket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/adapters/logging/Logger.ts';
import { enlargeReceiveBuffer } from '../../../src/adapters/runtime/UdpReceiveBuffer.ts';
import { CapturedOutput } from '../../cli/CapturedOutput.ts';

const sockets: Socket[] = [];
afterEach(() => {
  for (const socket of sockets.splice(0)) socket.close();
});

async function boundSocket(): Promise<Socket> {
  const socket = createSocket('udp4');
  sockets.push(socket);
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return socket;
}

function logLines(output: CapturedOutput): Array<Record<string, unknown>> {
  return output.text.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** This machine's cap on SO_RCVBUF requests (Linux). */
const rmemMax = Number(readFileSync('/proc/sys/net/core/rmem_max', 'utf8').trim());

describe('enlargeReceiveBuffer', () => {
  it('sets the receive buffer and logs the size the kernel reports in effect', async () => {
    const socket = await boundSocket();
    const output = new CapturedOutput(false);
    const requested = Math.min(rmemMax, 1024 * 1024);
    const effective = enlargeReceiveBuffer(socket, requested, createLogger({ level: 'info', destination: output }), 'test');
    // socket(7): Linux reserves twice what was asked, for its bookkeeping.
    expect(effective).toBe(socket.getRecvBufferSize());
    expect(effective).toBeGreaterThanOrEqual(requested);
    expect(logLines(output)).toEqual([expect.objectContaining({ level: 30, msg: 'UDP receive buffer', socket: 'test', requestedBytes: requested, effectiveBytes: effective })]);
  });

  it('warns, with the cap, when net.core.rmem_max cuts the request', async () => {
    const socket = await boundSocket();
    const output = new CapturedOutput(false);
    const effective = enlargeReceiveBuffer(socket, rmemMax * 4, createLogger({ level: 'info', destination: output }), 'test');
    expect(effective).toBeLessThan(rmemMax * 4);
    expect(logLines(output)).toEqual([expect.objectContaining({ level: 40, socket: 'test', requestedBytes: rmemMax * 4, effectiveBytes: effective, rmemMaxBytes: rmemMax })]);
  });

  it('logs a socket it cannot set instead of failing', async () => {
    const socket = await boundSocket();
    socket.close();
    sockets.splice(sockets.indexOf(socket), 1);
    const output = new CapturedOutput(false);
    expect(enlargeReceiveBuffer(socket, 1024 * 1024, createLogger({ level: 'info', destination: output }), 'closed')).toBeUndefined();
    expect(logLines(output)).toEqual([expect.objectContaining({ level: 40, msg: 'could not set the UDP receive buffer', socket: 'closed' })]);
  });
});
