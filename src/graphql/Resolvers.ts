/** Every resolver of `schema.graphql`, typed by the generated types. */
import type { Resolvers } from './generated/resolvers-types.ts';
import { deviceQueryResolvers, deviceTypeResolvers } from './resolvers/DeviceResolvers.ts';
import { mutationResolvers } from './resolvers/MutationResolvers.ts';
import { readModelQueryResolvers } from './resolvers/ReadModelResolvers.ts';
import { subscriptionResolvers } from './resolvers/SubscriptionResolvers.ts';
import { dateTimeScalar, jsonScalar, positionScalar } from './Scalars.ts';

export const resolvers: Resolvers = {
  DateTime: dateTimeScalar,
  Position: positionScalar,
  JSON: jsonScalar,
  Query: { ...deviceQueryResolvers, ...readModelQueryResolvers },
  Mutation: mutationResolvers,
  Subscription: subscriptionResolvers,
  Device: deviceTypeResolvers,
};
