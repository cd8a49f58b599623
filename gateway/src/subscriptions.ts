import type { Server } from 'node:http';
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { Supergraph, operationFromDocument, type Schema } from '@apollo/federation-internals';
import { buildOperationContext, executeQueryPlan, type GraphQLDataSource, type ServiceMap } from '@apollo/gateway';
import { QueryPlanner, type FetchNode, type PlanNode, type QueryPlan } from '@apollo/query-planner';
import {
  GraphQLError,
  Kind,
  getOperationAST,
  parse,
  print,
  visit,
  type ExecutionArgs,
  type ExecutionResult,
  type FieldNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import { getArgumentValues } from 'graphql/execution/values.js';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import { formatClientError, type IpayEnvironment, UnknownEventError, type BusEvent, type EventBus, type Logger, type Principal, type Subscription } from '@ipay/platform';
import type { Authenticator } from './auth.ts';
import type { GatewayContext } from './server.ts';

// graphql-ws recognises errors from onSubscribe by `instanceof GraphQLError` of the graphql Node itself loads
// (its CommonJS entry: graphql has no exports map); under a bundler the ESM import may be another instance.
const { GraphQLError: NativeGraphQLError } = createRequire(import.meta.url)('graphql') as typeof import('graphql');

/** Which events feed which subscription root field (the field's owning subgraph resolves them). */
const ROUTES: Record<string, (type: string) => boolean> = {
  orderEvents: (type) => type.startsWith('order.') || type.startsWith('return.') || type.startsWith('retention.'),
  paymentEvents: (type) => type.startsWith('payment.') || type.startsWith('refund.'),
  shipmentEvents: (type) => /^(carrier|release|parcel|shipment)\./.test(type),
  events: () => true,
  // Finance's live dashboard counters move on these (subgraphs/finance/src/domain/kpis.ts).
  kpis: (type) => ['order.created', 'payment.confirmed', 'payment.failed', 'carrier.out_for_delivery', 'release.authorized', 'parcel.released', 'refund.created', 'return.initiated'].includes(type),
};

export interface SubscriptionLimits {
  /** A client must send connection_init within this time (ms). */
  connectionInitTimeoutMs: number;
  maxSubscriptionsPerConnection: number;
  /** Largest WebSocket message accepted from a client (bytes). */
  maxPayloadBytes: number;
  /** Events buffered for one subscription before it is ended as too slow (others are never held up). */
  maxQueuedEvents: number;
}

/** graphql-ws's usual connection-init wait is 3 s. */
export const DEFAULT_LIMITS: SubscriptionLimits = { connectionInitTimeoutMs: 3_000, maxSubscriptionsPerConnection: 20, maxPayloadBytes: 64 * 1024, maxQueuedEvents: 1_000 };

export interface SubscriptionEngineOptions {
  supergraphSdl: string;
  dataSource(name: string): GraphQLDataSource<GatewayContext>;
  bus: EventBus;
  authenticator: Authenticator;
  logger: Logger;
  limits?: Partial<SubscriptionLimits>;
  /** How errors in event results are shown (see formatClientError); default production. */
  environment?: IpayEnvironment;
}

export interface ConnectionState {
  principal: Principal;
  sourceIp: string | null;
  active: Set<string>;
  /** Where a reconnecting client resumes (GraphQL over SSE: its Last-Event-ID header); wins over the argument. */
  resumeAfter?: string;
}

/** The bus event a subscription result was made from (not serialised; GraphQL over SSE sends it as the SSE `id:`). */
export const EVENT_ID = Symbol('ipay.eventId');

/** Whether the principal may see this event: `events:read` over its merchant or carrier, in its own mode. */
export function mayReceive(principal: Principal, event: BusEvent): boolean {
  if (event.livemode !== principal.livemode) return false;
  const scope = principal.grants['events:read'];
  if (!scope) return false;
  if (scope.kind === 'ALL') return true;
  if (scope.kind === 'MERCHANTS') return !!event.merchantId && scope.merchantIds.includes(event.merchantId);
  return scope.kind === 'CARRIERS' && !!event.carrierCode && scope.carrierCodes.includes(event.carrierCode);
}

/**
 * Federated subscriptions, which @apollo/gateway does not do. The federation query planner plans a
 * subscription as a primary fetch to the subgraph that owns the root field plus the rest of the plan. Per bus
 * event that matches the subscription (type, filters, the subscriber's scope), the plan runs with the primary
 * fetch rewritten into that subgraph's `_event_<field>(event:)` query: the owning subgraph shapes the event and
 * checks it again, and the other subgraphs resolve their fields as for any query.
 */
export class SubscriptionEngine {
  private readonly planner: QueryPlanner;
  private readonly apiSchema: Schema;
  readonly apiSchemaJs: GraphQLSchema;
  private readonly supergraphSchemaJs: GraphQLSchema;
  readonly limits: SubscriptionLimits;
  private wss: WebSocketServer | undefined;
  private disposer: { dispose(): void | Promise<void> } | undefined;

  constructor(private readonly options: SubscriptionEngineOptions) {
    const supergraph = Supergraph.build(options.supergraphSdl);
    this.planner = new QueryPlanner(supergraph);
    this.apiSchema = supergraph.apiSchema();
    this.apiSchemaJs = this.apiSchema.toGraphQLJSSchema();
    this.supergraphSchemaJs = supergraph.schema.toGraphQLJSSchema();
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
  }

  attach(httpServer: Server, path = '/graphql'): void {
    const { authenticator, logger } = this.options;
    this.wss = new WebSocketServer({ server: httpServer, path, maxPayload: this.limits.maxPayloadBytes });
    this.disposer = useServer<Record<string, unknown>, { state?: ConnectionState }>(
      {
        schema: this.apiSchemaJs,
        connectionInitWaitTimeout: this.limits.connectionInitTimeoutMs,
        // Same credentials as HTTP, in connection_init: { authorization: "Bearer …" }.
        onConnect: async (ctx) => {
          const params = ctx.connectionParams ?? {};
          const header = (params.authorization ?? params.Authorization) as string | undefined;
          if (!header) return false;
          try {
            const principal = await authenticator.authenticate(header, randomUUID());
            if (!principal) return false;
            ctx.extra.state = { principal, sourceIp: ctx.extra.request.socket.remoteAddress ?? null, active: new Set() };
            return true;
          } catch {
            return false;
          }
        },
        // The cap is counted here, synchronously as each subscribe message arrives, so a burst is counted exactly:
        // with 20 active, the 21st is refused (an error message for that operation) and nothing else is.
        onSubscribe: (ctx, id) => {
          const state = ctx.extra.state;
          if (!state) return;
          if (state.active.size >= this.limits.maxSubscriptionsPerConnection) {
            return [new NativeGraphQLError(`at most ${this.limits.maxSubscriptionsPerConnection} subscriptions per connection`, { extensions: { code: 'LIMIT_EXCEEDED' } })];
          }
          state.active.add(id);
          return undefined;
        },
        onComplete: (ctx, id) => void ctx.extra.state?.active.delete(id),
        context: (ctx) => ({ state: ctx.extra.state }),
        // Event results leave the process as HTTP results do: masked outside development, never an internal URL.
        onNext: (_ctx, _id, _payload, _args, result) => {
          if (!result.errors?.length) return undefined;
          const environment = this.options.environment ?? 'production';
          return { ...result, errors: result.errors.map((error) => formatClientError(error.toJSON(), error, environment, logger)) } as never;
        },
        subscribe: (args) => this.subscribe(args),
        execute: () => ({ errors: [new GraphQLError('only subscriptions are served over WebSocket; send queries and mutations over HTTP', { extensions: { code: 'BAD_REQUEST' } })] }),
      },
      this.wss,
    );
    logger.info({ path }, 'federated subscriptions over graphql-ws');
  }

  /** One subscription for an authenticated connection (graphql-ws, or GraphQL over SSE in sse.ts). */
  subscribe(args: ExecutionArgs): AsyncGenerator<ExecutionResult> | ExecutionResult {
    const state = (args.contextValue as { state: ConnectionState }).state;
    const operation = getOperationAST(args.document, args.operationName) as OperationDefinitionNode;
    const fieldNode = operation.selectionSet.selections[0] as FieldNode;
    const fieldName = fieldNode.name.value;
    const route = ROUTES[fieldName];
    if (operation.selectionSet.selections.length !== 1 || !route) {
      return { errors: [new GraphQLError('subscribe to exactly one root field', { extensions: { code: 'BAD_REQUEST' } })] };
    }
    const fieldDef = this.apiSchemaJs.getSubscriptionType()!.getFields()[fieldName]!;
    const argValues = getArgumentValues(fieldDef, fieldNode, (args.variableValues ?? {}) as Record<string, unknown>) as {
      orderId?: string;
      merchantId?: string;
      types?: string[];
      lastEventId?: string;
    };
    const plan = this.planner.buildQueryPlan(operationFromDocument(this.apiSchema, args.document, { operationName: args.operationName ?? undefined }));
    if (plan.node?.kind !== 'Subscription') {
      return { errors: [new GraphQLError('not a subscription plan')] };
    }
    const matches = (event: BusEvent) =>
      route(event.type) &&
      mayReceive(state.principal, event) &&
      (!argValues.merchantId || event.merchantId === argValues.merchantId) &&
      (!argValues.types?.length || argValues.types.includes(event.type)) &&
      (!argValues.orderId || event.payload.order_id === argValues.orderId || (event.subjectType === 'Order' && event.subjectId === argValues.orderId));
    return this.stream(plan.node.primary, plan.node.rest, args, state, state.resumeAfter ?? argValues.lastEventId ?? null, matches);
  }

  private async *stream(
    primary: FetchNode,
    rest: PlanNode | undefined,
    args: ExecutionArgs,
    state: ConnectionState,
    lastEventId: string | null,
    matches: (event: BusEvent) => boolean,
  ): AsyncGenerator<ExecutionResult> {
    const queue: BusEvent[] = [];
    let wake: (() => void) | undefined;
    let overflowed = false;
    let subscription: Subscription;
    try {
      subscription = await this.options.bus.subscribe({ afterEventId: lastEventId }, (event) => {
        if (!matches(event)) return;
        if (queue.length >= this.limits.maxQueuedEvents) overflowed = true;
        else queue.push(event);
        wake?.();
      });
    } catch (error) {
      if (error instanceof UnknownEventError) {
        yield { errors: [new GraphQLError(error.message, { extensions: { code: 'BAD_USER_INPUT', field: 'lastEventId' } })] };
        return;
      }
      throw error;
    }
    const queryPlan: QueryPlan = { kind: 'QueryPlan', node: rest ? { kind: 'Sequence', nodes: [primary, rest] } : primary };
    try {
      for (;;) {
        if (overflowed) {
          yield { errors: [new GraphQLError('subscriber is too slow: events were dropped; resubscribe with lastEventId', { extensions: { code: 'SUBSCRIBER_TOO_SLOW' } })] };
          return;
        }
        const event = queue.shift();
        if (!event) {
          await new Promise<void>((resolve) => (wake = resolve));
          wake = undefined;
          continue;
        }
        const result = await this.execute(queryPlan, primary, args, state, event);
        // An event the owning subgraph refuses for this subscriber is not theirs to see: skip, do not leak.
        if (result.errors?.some((e) => e.extensions?.code === 'FORBIDDEN') && !result.data) continue;
        Object.defineProperty(result, EVENT_ID, { value: event.id, enumerable: false });
        yield result;
      }
    } finally {
      await subscription.close();
    }
  }

  private async execute(queryPlan: QueryPlan, primary: FetchNode, args: ExecutionArgs, state: ConnectionState, event: BusEvent): Promise<ExecutionResult> {
    const serviceMap: ServiceMap = {};
    for (const name of this.serviceNames(queryPlan)) serviceMap[name] = this.options.dataSource(name);
    serviceMap[primary.serviceName] = eventDataSource(this.options.dataSource(primary.serviceName), event);
    const operation = getOperationAST(args.document, args.operationName)!;
    const source = print(args.document);
    const requestId = `sub:${event.id}`;
    const context: GatewayContext = { requestId, logger: this.options.logger.child({ requestId }), principal: state.principal, sourceIp: state.sourceIp };
    const requestContext = {
      request: { query: source, operationName: args.operationName ?? undefined, variables: (args.variableValues ?? {}) as Record<string, unknown> },
      logger: this.options.logger,
      schema: this.apiSchemaJs,
      schemaHash: '' as never,
      context,
      cache: undefined as never,
      queryHash: '',
      document: args.document,
      source,
      operationName: args.operationName ?? null,
      operation,
      metrics: {},
      overallCachePolicy: {},
    };
    const operationContext = buildOperationContext({ schema: this.apiSchemaJs, operationDocument: args.document, operationName: args.operationName ?? undefined });
    const result = await executeQueryPlan(queryPlan, serviceMap, requestContext as never, operationContext, this.supergraphSchemaJs, this.apiSchema);
    return { data: result.data, errors: result.errors as GraphQLError[] | undefined };
  }

  private serviceNames(plan: QueryPlan): Set<string> {
    const names = new Set<string>();
    const walk = (node: PlanNode | undefined): void => {
      if (!node) return;
      switch (node.kind) {
        case 'Fetch':
          names.add(node.serviceName);
          break;
        case 'Sequence':
        case 'Parallel':
          node.nodes.forEach(walk);
          break;
        case 'Flatten':
          walk(node.node);
          break;
        case 'Condition':
          walk(node.ifClause);
          walk(node.elseClause);
          break;
        case 'Defer':
          walk(node.primary.node);
          node.deferred.forEach((d) => walk(d.node));
          break;
      }
    };
    walk(plan.node as PlanNode);
    return names;
  }

  async close(): Promise<void> {
    // 1012 Service Restart: graphql-ws clients retry it; they resume with the last event id they saw.
    for (const client of this.wss?.clients ?? []) client.close(1012, 'server restarting: reconnect and resume with lastEventId');
    await this.disposer?.dispose();
    await new Promise<void>((resolve) => (this.wss ? this.wss.close(() => resolve()) : resolve()));
  }
}

/**
 * The primary fetch of a subscription plan, turned into a query the owning subgraph can answer for one event:
 * `subscription { paymentEvents(orderId: $o) { … } }` becomes
 * `query($__ipayEvent: JSON!) { paymentEvents: _event_paymentEvents(event: $__ipayEvent) { … } }`.
 */
function eventDataSource(inner: GraphQLDataSource<GatewayContext>, event: BusEvent): GraphQLDataSource<GatewayContext> {
  return {
    process(options) {
      const document = parse(options.request.query!);
      let rewritten = visit(document, {
        OperationDefinition(node) {
          const [root] = node.selectionSet.selections as FieldNode[];
          return {
            ...node,
            operation: 'query' as never,
            variableDefinitions: [
              ...(node.variableDefinitions ?? []),
              {
                kind: Kind.VARIABLE_DEFINITION,
                variable: { kind: Kind.VARIABLE, name: { kind: Kind.NAME, value: '__ipayEvent' } },
                type: { kind: Kind.NON_NULL_TYPE, type: { kind: Kind.NAMED_TYPE, name: { kind: Kind.NAME, value: 'JSON' } } },
              },
            ],
            selectionSet: {
              ...node.selectionSet,
              selections: [
                {
                  ...root!,
                  alias: root!.alias ?? { kind: Kind.NAME, value: root!.name.value },
                  name: { kind: Kind.NAME, value: `_event_${root!.name.value}` },
                  arguments: [{ kind: Kind.ARGUMENT, name: { kind: Kind.NAME, value: 'event' }, value: { kind: Kind.VARIABLE, name: { kind: Kind.NAME, value: '__ipayEvent' } } }],
                },
              ],
            },
          };
        },
      });
      // The root field's own arguments are gone; keep only the variables the rest of the selection still uses.
      const used = new Set<string>();
      visit(rewritten, { VariableDefinition: () => false, Variable: (variable) => void used.add(variable.name.value) });
      rewritten = visit(rewritten, { VariableDefinition: (definition) => (used.has(definition.variable.name.value) ? undefined : null) });
      const variables = { ...options.request.variables, __ipayEvent: event };
      return inner.process({ ...options, request: { ...options.request, query: print(rewritten), variables } } as never);
    },
  };
}
