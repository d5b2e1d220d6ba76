import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/adapters/logging/Logger.ts';
import { firstTerminationSignal } from '../../src/cli/ServeCommand.ts';

/** A process as the stop sees it: signals are events, and exit records its code. */
function signalledProcess() {
  const signals = new EventEmitter();
  const exits: number[] = [];
  return {
    exits,
    on: (event: 'SIGINT' | 'SIGTERM', listener: (signal: NodeJS.Signals) => void) => signals.on(event, listener),
    exit: (code: number) => void exits.push(code),
    send: (signal: NodeJS.Signals) => signals.emit(signal, signal),
  };
}

describe('termination signals of lwm2m-hub serve', () => {
  it('start one stop on the first signal, without exiting', async () => {
    const target = signalledProcess();
    const first = firstTerminationSignal(target, silentLogger());
    target.send('SIGTERM');
    expect(await first).toBe('SIGTERM');
    expect(target.exits).toEqual([]);
  });

  it('exit at once with 128 + the signal number on a second signal during the stop', async () => {
    const target = signalledProcess();
    const first = firstTerminationSignal(target, silentLogger());
    target.send('SIGINT');
    await first;
    target.send('SIGTERM');
    target.send('SIGINT');
    expect(target.exits).toEqual([143, 130]);
  });
});
