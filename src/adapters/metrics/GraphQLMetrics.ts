/**
 * GraphQL operations counted by name, transport and outcome. A client names its operations as it
 * likes, so the names a process counts are bounded: past `maxOperationNames` distinct names, others
 * count as `other`, and a flood of made-up names cannot grow the metrics without bound.
 */
import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import type { Metrics } from './Metrics.ts';

export type GraphQLTransport = 'http' | 'websocket';
export type GraphQLOutcome = 'ok' | 'error';

export interface GraphQLOperationMetrics {
  ended(transport: GraphQLTransport, operationName: string | null | undefined, outcome: GraphQLOutcome): void;
  /** Counts the operations Apollo Server runs over HTTP. */
  apolloPlugin<Context extends BaseContext>(): ApolloServerPlugin<Context>;
}

const maxOperationNames = 200;

export function graphqlOperationMetrics(metrics: Metrics): GraphQLOperationMetrics {
  const operations = metrics.counter<'operation' | 'transport' | 'outcome'>({
    name: 'lwm2m_hub_graphql_operations_total',
    help: `GraphQL operations by name (anonymous; other past ${maxOperationNames} names), transport (http, websocket) and outcome (ok, error)`,
    labelNames: ['operation', 'transport', 'outcome'],
  });
  const names = new Set<string>();
  const label = (name: string | null | undefined): string => {
    if (name === null || name === undefined || name === '') return 'anonymous';
    if (names.has(name)) return name;
    if (names.size >= maxOperationNames) return 'other';
    names.add(name);
    return name;
  };
  const ended: GraphQLOperationMetrics['ended'] = (transport, operationName, outcome) => operations.inc({ operation: label(operationName), transport, outcome });
  return {
    ended,
    apolloPlugin: () => ({
      requestDidStart: () =>
        Promise.resolve({
          willSendResponse: (context) => {
            const { body } = context.response;
            const failed = body.kind === 'single' ? body.singleResult.errors !== undefined : false;
            ended('http', context.operationName ?? context.request.operationName, failed ? 'error' : 'ok');
            return Promise.resolve();
          },
        }),
    }),
  };
}
