import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/adapters/logging/Logger.ts';
import { CapturedOutput } from '../../cli/CapturedOutput.ts';

function write(format: 'auto' | 'json' | 'pretty', terminal: boolean): string {
  const destination = new CapturedOutput(terminal);
  const logger = createLogger({ level: 'info', format, destination });
  logger.info({ endpoint: 'dev-1', token: 'lwm2mhub_secret' }, 'device registered');
  logger.debug({ endpoint: 'dev-1' }, 'registration updated');
  return destination.text;
}

describe('createLogger', () => {
  it('writes JSON lines by default, whatever the destination', () => {
    for (const terminal of [false, true]) {
      const [line, ...rest] = write('json', terminal).trim().split('\n');
      expect(rest).toEqual([]);
      expect(JSON.parse(line ?? '')).toMatchObject({ level: 30, msg: 'device registered', endpoint: 'dev-1', token: '[redacted]' });
    }
  });

  it('writes human-readable lines with the pretty format, secrets still redacted', () => {
    const text = write('pretty', false);
    expect(() => JSON.parse(text.split('\n')[0] ?? '') as unknown).toThrow();
    expect(text).toMatch(/INFO.*device registered/);
    expect(text).toContain('endpoint: "dev-1"');
    expect(text).not.toContain('lwm2mhub_secret');
    expect(text).not.toContain('registration updated');
  });

  it('is pretty in a terminal and JSON elsewhere when the format is auto', () => {
    expect(write('auto', true)).toMatch(/INFO.*device registered/);
    expect(JSON.parse(write('auto', false))).toMatchObject({ msg: 'device registered' });
  });
});
