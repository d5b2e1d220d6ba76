/**
 * The receive buffer (SO_RCVBUF) of a UDP socket: the datagrams the kernel keeps for the process
 * while its event loop is busy. Past it, the kernel drops what arrives, which CoAP allows for
 * non-confirmable messages and a device retransmits for confirmable ones (RFC 7252 sections 4.2
 * and 4.3), but a fleet's burst of notifications or registrations then loses or delays values that
 * the server had the time to take a few milliseconds later. Linux's default (net.core.rmem_default,
 * 208 KiB, some 250 small datagrams once the kernel's bookkeeping is counted) is a few milliseconds
 * of a fleet's traffic; the request is capped at net.core.rmem_max, and Linux then reserves twice
 * what was granted (socket(7)). The size in effect is logged, with a warning when the cap cut it.
 */
import { readFileSync } from 'node:fs';
import type { Socket } from 'node:dgram';
import type { Logger } from '../logging/Logger.ts';

/** 4 MiB: a quarter of a second of 30,000 small datagrams a second, where the kernel allows it. */
export const defaultUdpReceiveBufferBytes = 4 * 1024 * 1024;

const rmemMaxFile = '/proc/sys/net/core/rmem_max';

/**
 * Asks for `requestedBytes` of receive buffer on the bound socket; returns the size the kernel
 * reports in effect (undefined when it could not be set or read).
 */
export function enlargeReceiveBuffer(socket: Socket, requestedBytes: number, logger: Logger, socketName: string): number | undefined {
  try {
    socket.setRecvBufferSize(requestedBytes);
    const effectiveBytes = socket.getRecvBufferSize();
    const capBytes = kernelCapBytes();
    if (capBytes !== undefined && capBytes < requestedBytes) {
      logger.warn({ socket: socketName, requestedBytes, effectiveBytes, rmemMaxBytes: capBytes }, 'UDP receive buffer capped by net.core.rmem_max: raise it (sysctl -w net.core.rmem_max=...) to absorb bursts');
    } else {
      logger.info({ socket: socketName, requestedBytes, effectiveBytes }, 'UDP receive buffer');
    }
    return effectiveBytes;
  } catch (error) {
    logger.warn({ err: error, socket: socketName, requestedBytes }, 'could not set the UDP receive buffer');
    return undefined;
  }
}

/** Linux's cap on SO_RCVBUF requests; undefined elsewhere. */
function kernelCapBytes(): number | undefined {
  try {
    const value = Number(readFileSync(rmemMaxFile, 'utf8').trim());
    return Number.isSafeInteger(value) && value > 0 ? value : undefined;
  } catch {
    return undefined;
  }
}
