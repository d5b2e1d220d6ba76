/**
 * The values of State /5/0/3 and Update Result /5/0/5 (LwM2M Core 1.1 Appendix E.6, object 5), and
 * what each failure means in words for the operator.
 */

/** State /5/0/3. */
export const firmwareState = { idle: 0, downloading: 1, downloaded: 2, updating: 3 } as const;

/** Update Result /5/0/5: 0 is the initial value, 1 success; every other value ends the update. */
export const updateResultInitial = 0;
export const updateResultSuccess = 1;

const meanings: Readonly<Record<number, string>> = {
  2: 'not enough flash memory for the new firmware package',
  3: 'out of RAM during downloading process',
  4: 'connection lost during downloading process',
  5: 'integrity check failure for new downloaded package',
  6: 'unsupported package type',
  7: 'invalid URI',
  8: 'firmware update failed',
  9: 'unsupported protocol',
  10: 'firmware update cancelled',
  11: 'firmware update deferred',
};

/** The meaning of a failure result, or undefined for 0 (initial) and 1 (success). */
export function updateResultFailure(result: number): string | undefined {
  if (result === updateResultInitial || result === updateResultSuccess) return undefined;
  return meanings[result] ?? `unknown update result ${result}`;
}
