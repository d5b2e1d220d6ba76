/**
 * The device shell's commands, as typed values: what `ShellCommandParser` produces from one line and
 * what the application turns into queued LwM2M operations.
 */
import type { CompositePath, LwM2mPath } from '../lwm2m/LwM2mPath.ts';
import type { NotificationAttributes } from '../lwm2m/NotificationAttributes.ts';

/** One Execute argument (LwM2M Core 1.1, section 5.4.5): a digit, optionally with a quoted value. */
export interface ExecuteArgument {
  readonly digit: number;
  readonly value: string | null;
}

/** A value as a shell JSON gives it; the checker parses it by the resource's type. */
export type ShellScalar = string | number | boolean;

export interface ShellResourceInstanceEntry {
  readonly resourceInstanceId: number;
  readonly value: ShellScalar;
}

/**
 * One member of a `create` or `writep` JSON (`{"1": 60}` or, for a multiple-instance resource,
 * `{"6": {"0": 1, "1": 5}}`), in the order the JSON gave them.
 */
export interface ShellResourceEntry {
  readonly resourceId: number;
  readonly value: ShellScalar | readonly ShellResourceInstanceEntry[];
}

/** One `path=value` of `cwrite`. */
export interface PathAssignment {
  readonly path: LwM2mPath;
  /** The value as the operator typed it; the checker parses it by the resource's type. */
  readonly value: string;
}

/**
 * `--format`: the content format id the operator chose (the Accept of a read or observe, the
 * Content-Format of a write or create, both for a composite); absent, chosen from the registration.
 */
interface Formatted {
  readonly format?: number;
}

export type ShellCommand =
  | ({ readonly kind: 'read'; readonly path: LwM2mPath } & Formatted)
  /** `attributes`: notification attributes of this observation, sent in the Observe request's query. */
  | ({ readonly kind: 'observe'; readonly path: LwM2mPath; readonly attributes?: NotificationAttributes } & Formatted)
  /**
   * Passive cancel: forget the observation and answer the next notification with a Reset (RFC 7641
   * section 3.6). Several paths (or the root "/") name an Observe-Composite by its set.
   */
  | { readonly kind: 'cancelobservation'; readonly paths: readonly CompositePath[] }
  /** Active cancel: the Observe again with Observe 1 (RFC 7641 section 3.6); several paths as above. */
  | { readonly kind: 'cancelobserve'; readonly paths: readonly CompositePath[] }
  | { readonly kind: 'execute'; readonly path: LwM2mPath; readonly arguments: readonly ExecuteArgument[] }
  | { readonly kind: 'delete'; readonly path: LwM2mPath }
  /** `depth`: how many levels below the path the answer lists (0 to 3; absent, all). */
  | { readonly kind: 'discover'; readonly path: LwM2mPath; readonly depth?: number }
  | ({ readonly kind: 'create'; readonly path: LwM2mPath; readonly resources: readonly ShellResourceEntry[] } & Formatted)
  /** `cancel`: remove every notification attribute of the path (each sent without a value). */
  | {
      readonly kind: 'writeattr';
      readonly path: LwM2mPath;
      readonly attributes: NotificationAttributes;
      readonly cancel: boolean;
    }
  | { readonly kind: 'fwupdate'; readonly name: string; readonly version: string; readonly url: string }
  | ({ readonly kind: 'write'; readonly path: LwM2mPath; readonly value: string } & Formatted)
  | ({ readonly kind: 'writep'; readonly path: LwM2mPath; readonly resources: readonly ShellResourceEntry[] } & Formatted)
  /** The root "/" reads every object. */
  | ({ readonly kind: 'cread'; readonly paths: readonly CompositePath[] } & Formatted)
  | ({ readonly kind: 'cobserve'; readonly paths: readonly CompositePath[] } & Formatted)
  | ({ readonly kind: 'cwrite'; readonly assignments: readonly PathAssignment[] } & Formatted);

export type ShellCommandKind = ShellCommand['kind'];
