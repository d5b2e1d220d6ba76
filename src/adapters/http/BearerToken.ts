/** Reads a bearer token (RFC 6750 section 2.1) from an Authorization header or a connection_init payload. */

/** `Bearer <token>` (the scheme is case-insensitive, RFC 7235 section 2.1); undefined otherwise. */
export function bearerToken(authorization: string | undefined): string | undefined {
  const match = /^Bearer[ ]+([A-Za-z0-9\-._~+/]+=*)\s*$/i.exec(authorization ?? '');
  return match?.[1];
}

/**
 * The token of a graphql-ws connection_init payload: `{ "authorization": "Bearer <token>" }`, as
 * Apollo clients send it, or `{ "token": "<token>" }`.
 */
export function connectionParamsToken(params: Readonly<Record<string, unknown>> | undefined): string | undefined {
  const authorization = params?.['authorization'] ?? params?.['Authorization'];
  if (typeof authorization === 'string') return bearerToken(authorization);
  const token = params?.['token'];
  return typeof token === 'string' && token !== '' ? token : undefined;
}
