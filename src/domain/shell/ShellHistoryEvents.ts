/**
 * The device shell's history, on the stream `shell-<endpoint>`: one event per command line that was
 * queued, naming what carries it: the operation (its own events on `operations-<endpoint>`), or for
 * `fwupdate` the firmware update process (`firmware-<endpoint>`), which queues operations of its own.
 * The line's status and result are theirs, so they are not repeated here.
 *
 * A line is recorded after its operation or update is requested (the id comes from the queue or the
 * process), so a fast device may have answered before the line is in the history; readers join them
 * by id rather than expect an order.
 */
import type { OperationKind } from '../operations/OperationEvents.ts';
import type { ShellCommandKind } from './ShellCommand.ts';

export type ShellHistoryEvent = { readonly type: 'ShellCommandQueued'; readonly data: ShellCommandQueued };

export type ShellCommandQueued = ShellCommandLine & (ShellOperationLine | ShellFirmwareUpdateLine);

interface ShellCommandLine {
  readonly endpoint: string;
  /** Ties together the lines of one shell input (one `shell` call). */
  readonly runId: string;
  /** The line of the input it came from (1-based). */
  readonly line: number;
  /** The command as the operator typed it. */
  readonly text: string;
  readonly command: ShellCommandKind;
  /** `user:<token id>`. */
  readonly requestedBy: string;
  readonly requestedAt: string;
}

/** A line carried by one queued operation. */
export interface ShellOperationLine {
  readonly operationId: string;
  readonly operationKind: OperationKind;
}

/** A `fwupdate` line, carried by a firmware update (`firmware/FirmwareUpdateEvents.ts`). */
export interface ShellFirmwareUpdateLine {
  readonly firmwareUpdateId: string;
}

export const shellStreamPrefix = 'shell-';

export function shellStream(endpoint: string): string {
  return `${shellStreamPrefix}${endpoint}`;
}
