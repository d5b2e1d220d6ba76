/** A writable stream that keeps what a command writes to it, to stand for stdout or stderr in tests. */
import { Writable } from 'node:stream';

export class CapturedOutput extends Writable {
  text = '';
  /** Whether the command should take it for a terminal. */
  isTTY: boolean;

  constructor(isTTY = false) {
    super();
    this.isTTY = isTTY;
  }

  override _write(chunk: Buffer | string, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    this.text += chunk.toString();
    done();
  }
}
