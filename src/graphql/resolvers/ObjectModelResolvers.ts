/**
 * The object models a client needs to show a device's object tree (names, units, types, and the
 * operations each resource allows, LwM2M Core 1.1 Appendix D): an uploaded device protocol's newest
 * version wins over the model the service ships, as in the codecs' catalog.
 */
import { DomainError } from '../../domain/DomainError.ts';
import type { ObjectModel as DomainObjectModel } from '../../domain/lwm2m/ObjectModel.ts';
import { coreObjectCatalog } from '../../domain/lwm2m/StaticObjectModelCatalog.ts';
import { requireRole } from '../Authorization.ts';
import type { ObjectModel, QueryResolvers } from '../generated/resolvers-types.ts';
import { resourceTypeToApi } from '../inputs/ProtocolInputs.ts';

/** A device announces a few objects; a longer list is a client mistake, not a page to serve. */
const maxObjectIds = 100;

export const objectModelQueryResolvers: QueryResolvers = {
  async objectModels(_parent, { objectIds }, context) {
    requireRole(context, 'viewer');
    if (objectIds.length > maxObjectIds) {
      throw new DomainError('BAD_USER_INPUT', `objectModels takes at most ${maxObjectIds} object ids, not ${objectIds.length}`, { maxObjectIds });
    }
    const uploaded = await context.services.protocols.uploadedModels();
    const uploadedIds = new Set(uploaded.map((model) => model.id));
    const catalog = coreObjectCatalog().withObjects(uploaded);
    return [...new Set(objectIds)].flatMap((objectId) => {
      const model = catalog.object(objectId);
      return model === undefined ? [] : [objectModelToApi(model, uploadedIds.has(objectId))];
    });
  },
};

function objectModelToApi(model: DomainObjectModel, uploaded: boolean): ObjectModel {
  return {
    objectId: model.id,
    version: model.version,
    name: model.name,
    description: model.description,
    multipleInstances: model.multiple,
    mandatory: model.mandatory,
    uploaded,
    resources: model.resources.map((resource) => ({
      id: resource.id,
      name: resource.name,
      operations: resource.operations,
      multipleInstances: resource.multiple,
      mandatory: resource.mandatory,
      type: resourceTypeToApi[resource.type],
      rangeEnumeration: resource.rangeEnumeration,
      units: resource.units,
      description: resource.description,
    })),
  };
}
