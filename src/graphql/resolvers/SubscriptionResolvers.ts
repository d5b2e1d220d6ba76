/**
 * Live views, fed by the projector right after each commit: a device's new state, and each event
 * stored on its streams. Both read the read model as it is at that commit.
 */
import { devicesProjection } from '../../projections/devices/DevicesProjection.ts';
import { deviceHistoryProjection } from '../../projections/history/DeviceHistoryProjection.ts';
import { endpointOfStream } from '../../projections/history/DeviceStreamCategories.ts';
import { deviceStream, deviceStreamPrefix } from '../../domain/devices/DeviceEvents.ts';
import { importStreamPrefix } from '../../domain/imports/StagedImports.ts';
import { registrationStreamPrefix } from '../../domain/registration/RegistrationEvents.ts';
import { requireRole } from '../Authorization.ts';
import { projectionFeed } from '../ProjectionFeed.ts';
import type { SubscriptionResolvers } from '../generated/resolvers-types.ts';

const registrationCategory = registrationStreamPrefix.slice(0, -1);

export const subscriptionResolvers: SubscriptionResolvers = {
  deviceChanged: {
    subscribe(_parent, { endpoint }, context) {
      requireRole(context, 'viewer');
      const { readModels, devices } = context.services;
      const stream = endpoint ? deviceStream(endpoint) : undefined;
      return projectionFeed(readModels, ({ projection, event }) => {
        // A Register, Update, De-register or expiry changes what the device shows (online, registration,
        // last seen): its registration stream's events reach the history read model, not the devices one.
        if (projection === deviceHistoryProjection.name) {
          const owner = endpointOfStream(event.stream);
          if (owner?.category !== registrationCategory || (endpoint && owner.endpoint !== endpoint)) return undefined;
          const device = devices.get(owner.endpoint);
          return device ? { deviceChanged: device } : undefined;
        }
        if (projection !== devicesProjection.name) return undefined;
        // An import's commit (one event for all its devices) changed the device if it bears its position.
        const committed = endpoint && event.stream.startsWith(importStreamPrefix);
        if (stream !== undefined && event.stream !== stream && !committed) return undefined;
        const device = devices.get(committed ? endpoint : event.stream.slice(deviceStreamPrefix.length));
        // Several events of one device committed together: tell the resulting state once, at its last event.
        return device && device.position === event.position ? { deviceChanged: device } : undefined;
      });
    },
  },
  deviceEvents: {
    subscribe(_parent, { endpoint }, context) {
      requireRole(context, 'viewer');
      const { readModels, history } = context.services;
      return projectionFeed(readModels, ({ projection, event }) => {
        if (projection !== deviceHistoryProjection.name || endpointOfStream(event.stream)?.endpoint !== endpoint) return undefined;
        const entry = history.at(event.position);
        return entry ? { deviceEvents: entry } : undefined;
      });
    },
  },
};
