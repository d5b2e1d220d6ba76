/**
 * Changing devices and read models. Each mutation answers after its events are projected
 * (read-your-writes): a client that queries right after the mutation sees its effect.
 */
import { DomainError } from '../../domain/DomainError.ts';
import { requireRole } from '../Authorization.ts';
import { actorOf, requestContextOf } from '../GraphQLContext.ts';
import type { MutationResolvers } from '../generated/resolvers-types.ts';

export const mutationResolvers: MutationResolvers = {
  async importDeviceRegistrations(_parent, { csv, options }, context) {
    requireRole(context, 'operator');
    const { services } = context;
    const mode = options?.mode === 'VALID_ROWS_ONLY' ? 'valid-rows-only' : 'all-or-nothing';
    const report = await services.deviceImport.importDevices(csv, {
      mode,
      actor: actorOf(context.principal),
      correlationId: context.correlationId,
    });
    const nothingImported = report.imported === 0 && report.updated === 0 && report.unchanged === 0;
    if (report.errors.length > 0 && (mode === 'all-or-nothing' || nothingImported)) {
      throw new DomainError('BAD_USER_INPUT', `the CSV has ${report.errors.length} problem(s); nothing was imported`, {
        rowErrors: report.errors.map((error) => ({ ...error })),
      });
    }
    await services.readYourWrites.written(report.position);
    return { imported: report.imported, updated: report.updated, unchanged: report.unchanged, errors: [...report.errors] };
  },

  async decommissionDevice(_parent, { endpoint, reason }, context) {
    requireRole(context, 'operator');
    const { services } = context;
    const { position } = await services.deviceDecommission.decommission(endpoint, reason ?? null, requestContextOf(context));
    await services.readYourWrites.written(position);
    const device = services.devices.get(endpoint);
    if (!device) throw new DomainError('NOT_FOUND', `no device is registered with endpoint "${endpoint}"`, { endpoint });
    return device;
  },

  async rebuildReadModels(_parent, _args, context) {
    requireRole(context, 'admin');
    context.services.logger.info({ actor: actorOf(context.principal), correlationId: context.correlationId }, 'read model rebuild requested');
    return context.services.readModels.rebuild();
  },
};
