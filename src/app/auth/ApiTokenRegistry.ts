/**
 * Creates API tokens and recognises them. Tokens are events on the `api-tokens` stream with the token
 * sealed, appended through the aggregate command runner; a live view keeps an index from fingerprint
 * to token id and role in memory, and an unknown token is looked up again once the view has seen the
 * log through its head, so that a token made by `lwm2m-hub token create` in another process works at
 * once.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { chmodSync, writeFileSync } from 'node:fs';
import type { EventStore } from '../../adapters/eventstore/EventStore.ts';
import type { Logger } from '../../adapters/logging/Logger.ts';
import type { ApiTokenCommand } from '../../domain/auth/ApiTokenDecider.ts';
import { apiTokenDecider } from '../../domain/auth/ApiTokenDecider.ts';
import type { ApiRole, ApiTokenCreated, ApiTokenEvent, Principal } from '../../domain/auth/ApiTokens.ts';
import { apiTokensStream } from '../../domain/auth/ApiTokens.ts';
import type { SecretSealer } from '../../domain/SealedSecret.ts';
import { AggregateCommandRunner } from '../kernel/AggregateCommandRunner.ts';
import { LiveView } from '../kernel/LiveView.ts';
import { LogFeed } from '../kernel/LogFeed.ts';

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

/** The process's kernel, shared with the other services; a registry built without it has its own. */
export interface ApiTokenRegistryKernel {
  readonly runner: AggregateCommandRunner;
  readonly feed: LogFeed;
}

export class ApiTokenRegistry {
  readonly #store: EventStore;
  readonly #sealer: SecretSealer;
  readonly #runner: AggregateCommandRunner;
  readonly #feed: LogFeed;
  /** The live view's state: every token's principal by its fingerprint. */
  readonly #byFingerprint = new Map<string, Principal>();
  #view: Promise<LiveView<Map<string, Principal>>> | undefined;

  constructor(store: EventStore, sealer: SecretSealer, kernel: ApiTokenRegistryKernel = { runner: new AggregateCommandRunner({ store }), feed: new LogFeed({ store }) }) {
    this.#store = store;
    this.#sealer = sealer;
    this.#runner = kernel.runner;
    this.#feed = kernel.feed;
  }

  get size(): number {
    return this.#byFingerprint.size;
  }

  /** Resolves once every token appended until now is known. */
  refresh(): Promise<void> {
    return this.#seen(this.#store.headPosition());
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
    const { token, created } = this.#newToken(options.role, options.description ?? null);
    await this.#run({ type: 'CreateApiToken', token: created }, options);
    return { tokenId: created.tokenId, role: options.role, token };
  }

  /**
   * On the first start (no admin token yet), creates an admin token and writes it to `file` (mode
   * 0600), logging where it is, never what it is. Two processes starting at once create one token
   * between them: the runner decides again on the stream as the winner left it.
   */
  async ensureAdminToken(file: string, logger: Logger): Promise<void> {
    const { token, created } = this.#newToken('admin', 'created on first start');
    const events = await this.#run({ type: 'CreateFirstAdminToken', token: { ...created, role: 'admin' } }, { actor: 'system:first-start' });
    if (events.length === 0) return;
    writeFileSync(file, token + '\n', { mode: 0o600 });
    chmodSync(file, 0o600); // the mode above applies only when the file is new
    logger.info({ file, tokenId: created.tokenId }, 'first start: created an admin API token; read it from this file');
  }

  #newToken(role: ApiRole, description: string | null): { token: string; created: ApiTokenCreated } {
    const token = tokenPrefix + randomBytes(32).toString('base64url');
    const { sealed, fingerprint } = this.#sealer.seal(Buffer.from(token, 'utf8'));
    return { token, created: { tokenId: randomUUID(), role, token: { sealed, fingerprint }, description } };
  }

  /** Runs the command; resolves once every token up to what it appended is known. */
  async #run(command: ApiTokenCommand, options: Pick<CreateTokenOptions, 'actor' | 'correlationId'>): Promise<readonly ApiTokenEvent[]> {
    const metadata = { actor: options.actor, correlationId: options.correlationId ?? randomUUID() };
    const { events, position } = await this.#runner.run(apiTokensStream, apiTokenDecider, command, { metadata });
    await (position === undefined ? this.refresh() : this.#seen(Promise.resolve(position)));
    return events;
  }

  async #seen(position: Promise<number>): Promise<void> {
    const opening = (this.#view ??= LiveView.open(this.#feed, {
      name: 'API tokens',
      filter: { streamPrefixes: [apiTokensStream] },
      initialState: this.#byFingerprint,
      evolve: (principals, event) => {
        if (event.stream !== apiTokensStream || event.type !== 'ApiTokenCreated') return principals;
        const { tokenId, role, token } = event.data as unknown as ApiTokenCreated;
        return principals.set(token.fingerprint, { tokenId, role });
      },
    }));
    try {
      const view = await opening;
      await view.waitFor(await position);
    } catch (error) {
      // The store failed: this call fails, the next one opens the view again.
      if (this.#view === opening) this.#view = undefined;
      throw error;
    }
  }
}
