/**
 * An immutable catalog of object models, several versions per object. `coreObjectCatalog()` holds the
 * models the service ships (OMA objects 0 to 7, IPSO objects 3300 to 3350, generated from the OMA
 * registry by `scripts/generate-object-models.ts`); uploaded device protocols are added with
 * `withObjects`, which returns a new catalog so that a codec holding the old one is never surprised.
 */
import coreObjects from './models/coreObjects.json' with { type: 'json' };
import { compareObjectVersions, type ObjectModel, type ObjectModelCatalog } from './ObjectModel.ts';
import { objectModelFromJson } from './ObjectModelJson.ts';

export class StaticObjectModelCatalog implements ObjectModelCatalog {
  /** Per object id, its versions from the oldest to the newest. */
  readonly #versions: ReadonlyMap<number, readonly ObjectModel[]>;

  /** Of two models with the same id and version, the later in the list wins. */
  constructor(models: readonly ObjectModel[]) {
    const byId = new Map<number, Map<string, ObjectModel>>();
    for (const model of models) {
      const versions = byId.get(model.id) ?? new Map<string, ObjectModel>();
      versions.set(model.version, model);
      byId.set(model.id, versions);
    }
    this.#versions = new Map(
      [...byId].map(([id, versions]) => [id, [...versions.values()].sort((a, b) => compareObjectVersions(a.version, b.version))]),
    );
  }

  /**
   * The model of the object at exactly `version`; without a version, or with one the catalog does not
   * know, the newest known version. A device that announces a version we do not know (`ver` in its
   * object links) most likely runs a newer one than our models, and a minor version stays compatible
   * with the earlier ones (LwM2M Core 1.1, "Object Versioning"), so the newest model types the most of
   * what it sends.
   */
  object(objectId: number, version?: string): ObjectModel | undefined {
    const versions = this.#versions.get(objectId);
    if (versions === undefined) return undefined;
    const exact = version === undefined ? undefined : versions.find((model) => model.version === version);
    return exact ?? versions[versions.length - 1];
  }

  /** Every version of an object the catalog knows, oldest first. */
  versions(objectId: number): readonly ObjectModel[] {
    return this.#versions.get(objectId) ?? [];
  }

  /** The ids of the objects the catalog knows, in increasing order. */
  objectIds(): readonly number[] {
    return [...this.#versions.keys()].sort((a, b) => a - b);
  }

  /** A new catalog with these models added; a model with the id and version of a known one replaces it. */
  withObjects(models: readonly ObjectModel[]): StaticObjectModelCatalog {
    return new StaticObjectModelCatalog([...[...this.#versions.values()].flat(), ...models]);
  }
}

let core: StaticObjectModelCatalog | undefined;

/** The catalog of the shipped core object models, read once (it is immutable, so it is shared). */
export function coreObjectCatalog(): StaticObjectModelCatalog {
  core ??= new StaticObjectModelCatalog(coreObjects.map(readShippedModel));
  return core;
}

function readShippedModel(json: unknown): ObjectModel {
  const result = objectModelFromJson(json);
  // The file is generated and committed with the code: a bad entry is a bug to fix, not input to refuse.
  if (!result.ok) throw new Error(`models/coreObjects.json is corrupt: ${result.error}`);
  return result.model;
}
