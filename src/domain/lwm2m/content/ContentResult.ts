/**
 * What every content-format decoder returns: a value, or an error that says what is wrong and where.
 * Decoders read untrusted bytes from devices, so they never throw; encoders return the same shape
 * because a node can be unfit for a format (an object instance cannot be text/plain).
 */
export interface ContentError {
  readonly message: string;
  /** Byte offset (binary formats) or character offset (text formats) where the problem was found. */
  readonly offset?: number;
}

export type ContentResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: ContentError };

export function success<T>(value: T): ContentResult<T> {
  return { ok: true, value };
}

export function failure(message: string, offset?: number): { readonly ok: false; readonly error: ContentError } {
  return { ok: false, error: offset === undefined ? { message } : { message, offset } };
}
