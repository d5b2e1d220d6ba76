/**
 * The device shell's history, on the stream `shell-<endpoint>`: one event per command line that was
 * queued, naming the operation that carries it. The line's status and result are the operation's
 * (its own events on `operations-<endpoint>`), so they are not repeated here.
 *
 * A line is recorded after its operation is requested (the operation id comes from the queue), so a
 * fast device may have answered before the line is in the history; readers join the two by
 * operation id rather than expect an order.
 */
import type { OperationKind } from '../operations/OperationEvents.ts';
import type { ShellCommandKind } from './ShellCommand.ts';

export type ShellHistoryEvent = { readonly type: 'ShellCommandQueued'; readonly data: ShellCommandQueued };

export interface ShellCommandQueued {
  readonly endpoint: string;
  /** Ties together the lines of one shell input (one `shell` call). */
  readonly runId: string;
  /** The line of the input it came from (1-based). */
  readonly line: number;
  /** The command as the operator typed it. */
  readonly text: string;
  readonly command: ShellCommandKind;
  readonly operationId: string;
  readonly operationKind: OperationKind;
  /** `user:<token id>`. */
  readonly requestedBy: string;
  readonly requestedAt: string;
}

export const shellStreamPrefix = 'shell-';

export function shellStream(endpoint: string): string {
  return `${shellStreamPrefix}${endpoint}`;
}
