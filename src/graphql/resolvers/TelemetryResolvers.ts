/**
 * Measurements, device events and alarms: their queries (Relay connections), the alarm mutations,
 * and the subscriptions on new measurements, events and alarm changes, fed by the projector right
 * after each commit.
 */
import { toDomainEvent } from '../../adapters/eventstore/EventStore.ts';
import { DomainError } from '../../domain/DomainError.ts';
import type { AlarmEvent } from '../../domain/telemetry/AlarmEvents.ts';
import { alarmsProjection } from '../../projections/alarms/AlarmsProjection.ts';
import type { AlarmView } from '../../projections/alarms/AlarmQueries.ts';
import { deviceEventsProjection } from '../../projections/deviceevents/DeviceEventsProjection.ts';
import { measurementsProjection } from '../../projections/measurements/MeasurementsProjection.ts';
import { formatTimeCursor } from '../../projections/TimeCursor.ts';
import { requireRole } from '../Authorization.ts';
import { connection } from '../Connections.ts';
import { decodeCursor, decodePositionCursor, encodeCursor, pageSize } from '../Cursors.ts';
import type { GraphQLContext } from '../GraphQLContext.ts';
import { requestContextOf } from '../GraphQLContext.ts';
import type {
  AlarmResolvers,
  DeviceEventResolvers,
  MeasurementResolvers,
  MutationResolvers,
  QueryResolvers,
  SubscriptionResolvers,
} from '../generated/resolvers-types.ts';
import { projectionFeed } from '../ProjectionFeed.ts';

const measurementCursorKind = 'measurement';
const eventCursorKind = 'event';
const alarmCursorKind = 'alarm';

/** A time-ordered row's cursor: its time and position (see TimeCursor), wrapped as this list's cursor. */
function timeCursor(kind: string, row: { readonly time: Date; readonly position: number }): string {
  return encodeCursor(kind, formatTimeCursor({ timeMs: row.time.getTime(), position: row.position }));
}

/** The alarm as projected after `position`. */
async function projectedAlarm(context: GraphQLContext, alarmId: string, position: number | undefined): Promise<AlarmView> {
  const { readYourWrites, alarms } = context.services;
  await readYourWrites.written(position);
  const alarm = alarms.get(alarmId);
  if (!alarm) throw new DomainError('NOT_FOUND', `no alarm ${alarmId}`, { alarmId });
  return alarm;
}

export const telemetryQueryResolvers: QueryResolvers = {
  measurements(_parent, { endpoint, type, series, from, to, first, after }, context) {
    requireRole(context, 'viewer');
    const size = pageSize(first, 50);
    const page = context.services.measurements.page({ endpoint, type, series, from, to }, size, after ? decodeCursor(measurementCursorKind, after) : null);
    return connection(page.measurements, page.hasNextPage, 0, after, (measurement) => timeCursor(measurementCursorKind, measurement));
  },
  events(_parent, { endpoint, type, from, to, first, after }, context) {
    requireRole(context, 'viewer');
    const size = pageSize(first, 50);
    const page = context.services.deviceEvents.page({ endpoint, type, from, to }, size, after ? decodeCursor(eventCursorKind, after) : null);
    return connection(page.events, page.hasNextPage, 0, after, (event) => timeCursor(eventCursorKind, event));
  },
  alarms(_parent, { endpoint, type, status, severity, first, after }, context) {
    requireRole(context, 'viewer');
    const size = pageSize(first, 50);
    const afterPosition = after ? String(decodePositionCursor(alarmCursorKind, after)) : null;
    const page = context.services.alarms.page({ endpoint, type, status, severity }, size, afterPosition);
    return connection(page.alarms, page.hasNextPage, page.totalCount, after, (alarm) => encodeCursor(alarmCursorKind, String(alarm.raisedPosition)));
  },
  alarm(_parent, { id }, context) {
    requireRole(context, 'viewer');
    return context.services.alarms.get(id) ?? null;
  },
};

export const telemetryMutationResolvers: MutationResolvers = {
  async acknowledgeAlarm(_parent, { id }, context) {
    requireRole(context, 'operator');
    const change = await context.services.telemetry.acknowledgeAlarm(id, requestContextOf(context));
    return projectedAlarm(context, id, change.position);
  },
  async clearAlarm(_parent, { id }, context) {
    requireRole(context, 'operator');
    const change = await context.services.telemetry.clearAlarm(id, requestContextOf(context));
    return projectedAlarm(context, id, change.position);
  },
};

export const telemetrySubscriptionResolvers: SubscriptionResolvers = {
  measurementCreated: {
    subscribe(_parent, { endpoint, type, series }, context) {
      requireRole(context, 'viewer');
      const { readModels, measurements } = context.services;
      return projectionFeed(readModels, ({ projection, event }) => {
        if (projection !== measurementsProjection.name) return undefined;
        const measurement = measurements.at(event.position);
        if (!measurement) return undefined;
        if ((endpoint && measurement.endpoint !== endpoint) || (type && measurement.type !== type) || (series && measurement.series !== series)) return undefined;
        return { measurementCreated: measurement };
      });
    },
  },
  eventCreated: {
    subscribe(_parent, { endpoint, type }, context) {
      requireRole(context, 'viewer');
      const { readModels, deviceEvents } = context.services;
      return projectionFeed(readModels, ({ projection, event }) => {
        if (projection !== deviceEventsProjection.name) return undefined;
        const created = deviceEvents.at(event.position);
        if (!created) return undefined;
        if ((endpoint && created.endpoint !== endpoint) || (type && created.type !== type)) return undefined;
        return { eventCreated: created };
      });
    },
  },
  alarmChanged: {
    subscribe(_parent, { endpoint }, context) {
      requireRole(context, 'viewer');
      const { readModels, alarms } = context.services;
      return projectionFeed(readModels, ({ projection, event }) => {
        if (projection !== alarmsProjection.name) return undefined;
        const alarm = alarms.get(toDomainEvent<AlarmEvent>(event).data.alarmId);
        if (!alarm || (endpoint && alarm.endpoint !== endpoint)) return undefined;
        return { alarmChanged: alarm };
      });
    },
  },
};

export const measurementTypeResolvers: MeasurementResolvers = {
  id: (measurement) => String(measurement.position),
};

export const deviceEventTypeResolvers: DeviceEventResolvers = {
  id: (event) => String(event.position),
};

export const alarmTypeResolvers: AlarmResolvers = {
  id: (alarm) => alarm.alarmId,
};
