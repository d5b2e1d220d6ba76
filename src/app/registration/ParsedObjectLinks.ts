/**
 * The link-format payloads of Register and Update (LwM2M Transport 1.1 section 6.4), parsed
 * (ObjectLinks.ts) and kept by their text for registrations that were accepted: devices of one model
 * announce the same objects in the same words, so a fleet's payload is parsed once and every
 * registration that announces it shares one copy of its objects.
 *
 * Bounded: at most `maxTexts` distinct texts of at most `maxTextLength` characters, the first ones
 * kept (as the registrations view shares its values). Only accepted registrations add to it, so that
 * made-up endpoints cannot fill it with their payloads.
 */
import { parseObjectLinks } from '../../domain/registration/ObjectLinks.ts';
import type { ObjectLinksResult, RegisteredObjects } from '../../domain/registration/ObjectLinks.ts';

const maxTexts = 1_000;
/** A few hundred objects and instances; longer announcements are parsed each time. */
const maxTextLength = 4_096;

export class ParsedObjectLinks {
  readonly #byText = new Map<string, RegisteredObjects>();

  parse(text: string): ObjectLinksResult {
    const kept = this.#byText.get(text);
    return kept === undefined ? parseObjectLinks(text) : { ok: true, objects: kept };
  }

  /** Keeps what an accepted registration announced, for the next device that announces it. */
  keep(text: string, objects: RegisteredObjects): void {
    if (text.length <= maxTextLength && this.#byText.size < maxTexts && !this.#byText.has(text)) this.#byText.set(text, objects);
  }
}
