import { describe, expect, it } from 'vitest';
import { chooseProtocolVersion } from '../../../src/domain/protocols/ProtocolVersionChoice.ts';

describe('chooseProtocolVersion', () => {
  it('takes the exact version the device registered with', () => {
    expect(chooseProtocolVersion(['1.0', '1.1', '1.2'], '1.1')).toBe('1.1');
  });

  it('takes 1.0 when the device gave no version, else the newest of the same major version', () => {
    expect(chooseProtocolVersion(['1.0', '1.1'], undefined)).toBe('1.0');
    expect(chooseProtocolVersion(['1.1', '1.10', '1.2'], null)).toBe('1.10');
    expect(chooseProtocolVersion(['1.1'], '1.3')).toBe('1.1');
  });

  it('takes no version of another major version', () => {
    expect(chooseProtocolVersion(['2.0'], '1.0')).toBeUndefined();
    expect(chooseProtocolVersion([], '1.0')).toBeUndefined();
  });
});
