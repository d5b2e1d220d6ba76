/**
 * What every `lwm2m-hub` command exits with, so that scripts can tell a failed job from a mistyped one:
 * 0 the work was done; 1 the work failed (rows or a file refused, a device's command failed, the store
 * or the service unavailable); 2 the command line is wrong (unknown command or flag, a missing or
 * unreadable file argument), and nothing was attempted.
 */
export const exitCodes = { ok: 0, failed: 1, usage: 2 } as const;

export const exitCodesHelp = 'Exit codes: 0 done; 1 the work failed (the reason on stderr); 2 the command line is wrong (nothing was done).';
