/**
 * Creates API tokens and recognises them. Tokens are events on the `api-tokens` stream with the token
 * sealed; the registry keeps an index from fingerprint to token id and role in memory, and reads the
 * tail of the stream when it meets an unknown token, so that a token made by `lwm2m-hub token create`
 * in another process works at once.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { chmodSync, writeFileSync } from 'node:fs';
import type { EventStore, ExpectedRevision } from '../../adapters/eventstore/EventStore.ts';
import { WrongExpectedVersion } from '../../adapters/eventstore/EventStore.ts';
import type { Logger } from '../../adapters/logging/Logger.ts';
import type { ApiRole, ApiTokenCreated, Principal } from '../../domain/auth/ApiTokens.ts';
import { apiTokensStream } from '../../domain/auth/ApiTokens.ts';
import type { SecretSealer } from '../../domain/SealedSecret.ts';

/** A recognisable prefix (secret scanners look for such) followed by 256 random bits. */
const tokenPrefix = 'lwm2mhub_';

export interface CreatedToken {
  readonly tokenId: string;
  readonly role: ApiRole;
  /** The token itself: shown to its owner once, never stored in clear. */
  readonly token: string;
}

export interface CreateTokenOptions {
  readonly role: ApiRole;
  readonly actor: string;
  readonly description?: string | null;
  readonly correlationId?: string;
}

export class ApiTokenRegistry {
  readonly #store: EventStore;
  readonly #sealer: SecretSealer;
  readonly #byFingerprint = new Map<string, Principal>();
  #lastRevision = -1;
  #refreshing: Promise<void> | undefined;

  constructor(store: EventStore, sealer: SecretSealer) {
    this.#store = store;
    this.#sealer = sealer;
  }

  get size(): number {
    return this.#byFingerprint.size;
  }

  /** Reads the tokens appended since the last read. Concurrent callers share one read. */
  refresh(): Promise<void> {
    this.#refreshing ??= this.#readTail().finally(() => (this.#refreshing = undefined));
    return this.#refreshing;
  }

  async #readTail(): Promise<void> {
    const result = await this.#store.readStream(apiTokensStream, { fromRevision: this.#lastRevision + 1 });
    if (result.status === 'stream_not_found') return;
    for (const event of result.events) {
      if (event.type === 'ApiTokenCreated') {
        const data = event.data as unknown as ApiTokenCreated;
        this.#byFingerprint.set(data.token.fingerprint, { tokenId: data.tokenId, role: data.role });
      }
      this.#lastRevision = event.revision;
    }
  }

  /** The principal of a token, or undefined when the token is unknown. */
  async authenticate(token: string): Promise<Principal | undefined> {
    if (!token.startsWith(tokenPrefix)) return undefined;
    const fingerprint = this.#sealer.fingerprint(Buffer.from(token, 'utf8'));
    const known = this.#byFingerprint.get(fingerprint);
    if (known) return known;
    await this.refresh();
    return this.#byFingerprint.get(fingerprint);
  }

  async create(options: CreateTokenOptions): Promise<CreatedToken> {
    return this.#append(options, 'any');
  }

  async #append(options: CreateTokenOptions, expected: ExpectedRevision): Promise<CreatedToken> {
    const token = tokenPrefix + randomBytes(32).toString('base64url');
    const tokenId = randomUUID();
    const { sealed, fingerprint } = this.#sealer.seal(Buffer.from(token, 'utf8'));
    const data = { tokenId, role: options.role, token: { sealed, fingerprint }, description: options.description ?? null } satisfies ApiTokenCreated;
    const metadata = { actor: options.actor, correlationId: options.correlationId ?? randomUUID() };
    await this.#store.appendToStream(apiTokensStream, [{ type: 'ApiTokenCreated', data, metadata }], expected);
    await this.refresh();
    return { tokenId, role: options.role, token };
  }

  /**
   * On the first start (no admin token yet), creates an admin token and writes it to `file` (mode
   * 0600), logging where it is, never what it is. Two processes starting at once create one token
   * between them: the append expects the stream as it was read, and the loser re-reads it.
   */
  async ensureAdminToken(file: string, logger: Logger): Promise<void> {
    for (;;) {
      await this.refresh();
      if ([...this.#byFingerprint.values()].some((principal) => principal.role === 'admin')) return;
      let created: CreatedToken;
      try {
        created = await this.#append(
          { role: 'admin', actor: 'system:first-start', description: 'created on first start' },
          this.#lastRevision === -1 ? 'no_stream' : this.#lastRevision,
        );
      } catch (error) {
        if (error instanceof WrongExpectedVersion) continue;
        throw error;
      }
      writeFileSync(file, created.token + '\n', { mode: 0o600 });
      chmodSync(file, 0o600); // the mode above applies only when the file is new
      logger.info({ file, tokenId: created.tokenId }, 'first start: created an admin API token; read it from this file');
      return;
    }
  }
}
