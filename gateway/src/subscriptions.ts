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
import {
  eventVisible,
  formatClientError,
  type IpayEnvironment,
  UnknownEventError,
  type BusEvent,
  type EventBus,
  type Logger,
  type Principal,
  type Subscription,
} from '@ipay/platform';
import type { Authenticator } from './auth.ts';
import type { GatewayContext } from './server.ts';

// graphql-ws recognises errors from onSubscribe by `instanceof GraphQLError` of the graphql Node itself loads
// (its CommonJS entry: graphql has no exports map); under a bundler the ESM import may be another instance.
const nativeGraphql = createRequire(import.meta.url)('graphql') as typeof import('graphql');
const { GraphQLError: NativeGraphQLError } = nativeGraphql;

export type EventRoute = (type: string) => boolean;

/**
 * Which bus events feed which subscription root field, as each owning subgraph declares it with `@eventFeed` in its
 * SDL (composed into the supergraph by `@composeDirective`). A field without it cannot be subscribed to.
 */
export function eventRoutes(supergraphSdl: string): Map<string, EventRoute> {
  const routes = new Map<string, EventRoute>();
  const document = parse(supergraphSdl);
  const schemaRoot = document.definitions.find((d) => d.kind === Kind.SCHEMA_DEFINITION);
  const subscriptionName = schemaRoot?.operationTypes.find((t) => t.operation === 'subscription')?.type.name.value ?? 'Subscription';
  for (const definition of document.definitions) {
    if ((definition.kind !== Kind.OBJECT_TYPE_DEFINITION && definition.kind !== Kind.OBJECT_TYPE_EXTENSION) || definition.name.value !== subscriptionName)
      continue;
    for (const field of definition.fields ?? []) {
      const feed = field.directives?.find((d) => d.name.value === 'eventFeed');
      if (!feed) continue;
      const argument = (name: string) => feed.arguments?.find((a) => a.name.value === name)?.value;
      const strings = (name: string): string[] => {
        const value = argument(name);
        if (!value) return [];
        const items = value.kind === Kind.LIST ? value.values : [value];
        return items.map((item) => {
          if (item.kind !== Kind.STRING) throw new Error(`@eventFeed(${name}:) on Subscription.${field.name.value} takes strings`);
          return item.value;
        });
      };
      const all = argument('all');
      const types = new Set(strings('types'));
      const prefixes = strings('prefixes');
      if (all?.kind === Kind.BOOLEAN && all.value) routes.set(field.name.value, () => true);
      else if (!types.size && !prefixes.length) throw new Error(`@eventFeed on Subscription.${field.name.value} names no events`);
      else routes.set(field.name.value, (type) => types.has(type) || prefixes.some((prefix) => type.startsWith(prefix)));
    }
  }
  return routes;
}

export interface SubscriptionLimits {
  /** A client must send connection_init within this time (ms). */
  connectionInitTimeoutMs: number;
  maxSubscriptionsPerConnection: number;
  /** Largest WebSocket message accepted from a client (bytes). */
  maxPayloadBytes: number;
  /** Events buffered for one subscription; past it the subscription reads on from the log once it has caught up (others are never held up). */
  maxQueuedEvents: number;
}

/** graphql-ws's usual connection-init wait is 3 s. */
export const DEFAULT_LIMITS: SubscriptionLimits = {
  connectionInitTimeoutMs: 3_000,
  maxSubscriptionsPerConnection: 20,
  maxPayloadBytes: 64 * 1024,
  maxQueuedEvents: 1_000,
};

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
  return eventVisible(principal.grants['events:read'], principal.livemode, event);
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
  private readonly routes: Map<string, EventRoute>;
  readonly limits: SubscriptionLimits;
  private wss: WebSocketServer | undefined;
  /** Query plans by document and operation name: subscribers of one subscription share its plan. */
  private readonly plans = new Map<string, QueryPlan>();
  /** Parsed and validated subscription documents by their text: 10,000 subscribers of one document validate it once. */
  private readonly documents = new Map<string, import('graphql').DocumentNode>();
  /**
   * Event results being made, by event and by what the result depends on (document, variables, principal): of
   * 10,000 identical subscribers one asks the subgraphs per event and the others get its result.
   */
  private readonly executions = new Map<string, Promise<ExecutionResult>>();
  private disposer: { dispose(): void | Promise<void> } | undefined;

  constructor(private readonly options: SubscriptionEngineOptions) {
    const supergraph = Supergraph.build(options.supergraphSdl);
    this.planner = new QueryPlanner(supergraph);
    this.apiSchema = supergraph.apiSchema();
    this.apiSchemaJs = this.apiSchema.toGraphQLJSSchema();
    this.supergraphSchemaJs = supergraph.schema.toGraphQLJSSchema();
    this.routes = eventRoutes(options.supergraphSdl);
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
        onSubscribe: (ctx, id, payload) => {
          const state = ctx.extra.state;
          if (!state) return;
          if (state.active.size >= this.limits.maxSubscriptionsPerConnection) {
            return [
              new NativeGraphQLError(`at most ${this.limits.maxSubscriptionsPerConnection} subscriptions per connection`, {
                extensions: { code: 'LIMIT_EXCEEDED' },
              }),
            ];
          }
          state.active.add(id);
          // A document seen before needs no parsing or validation again (graphql-ws does both when given none).
          const document = this.validDocument(payload.query);
          if (!document) return undefined;
          return { schema: this.apiSchemaJs, document, operationName: payload.operationName, variableValues: payload.variables ?? undefined };
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
        execute: () => ({
          errors: [
            new GraphQLError('only subscriptions are served over WebSocket; send queries and mutations over HTTP', { extensions: { code: 'BAD_REQUEST' } }),
          ],
        }),
      },
      this.wss,
    );
    logger.info({ path }, 'federated subscriptions over graphql-ws');
  }

  /** The document of `query` parsed and validated against the API schema, or undefined when it is not valid (graphql-ws then reports why). */
  private validDocument(query: string): import('graphql').DocumentNode | undefined {
    const cached = this.documents.get(query);
    if (cached) return cached;
    let document;
    try {
      // graphql's CommonJS instance, like the API schema (built by federation-internals) and graphql-ws.
      document = nativeGraphql.parse(query);
    } catch {
      return undefined;
    }
    if (nativeGraphql.validate(this.apiSchemaJs, document).length > 0) return undefined;
    if (this.documents.size >= 1_000) this.documents.delete(this.documents.keys().next().value!);
    this.documents.set(query, document);
    return document;
  }

  /** One subscription for an authenticated connection (graphql-ws, or GraphQL over SSE in sse.ts). */
  subscribe(args: ExecutionArgs): AsyncGenerator<ExecutionResult> | ExecutionResult {
    const state = (args.contextValue as { state: ConnectionState }).state;
    const operation = getOperationAST(args.document, args.operationName) as OperationDefinitionNode;
    const fieldNode = operation.selectionSet.selections[0] as FieldNode;
    const fieldName = fieldNode.name.value;
    const route = this.routes.get(fieldName);
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
    const planKey = `${args.operationName ?? ''}\n${print(args.document)}`;
    let plan = this.plans.get(planKey);
    if (!plan) {
      plan = this.planner.buildQueryPlan(operationFromDocument(this.apiSchema, args.document, { operationName: args.operationName ?? undefined }));
      // Bounded: a client sending ever new documents cannot grow it without limit.
      if (this.plans.size >= 1_000) this.plans.delete(this.plans.keys().next().value!);
      this.plans.set(planKey, plan);
    }
    if (plan.node?.kind !== 'Subscription') {
      return { errors: [new GraphQLError('not a subscription plan')] };
    }
    const matches = (event: BusEvent) =>
      route(event.type) &&
      mayReceive(state.principal, event) &&
      (!argValues.merchantId || event.merchantId === argValues.merchantId) &&
      (!argValues.types?.length || argValues.types.includes(event.type)) &&
      (!argValues.orderId || event.payload.order_id === argValues.orderId || (event.subjectType === 'Order' && event.subjectId === argValues.orderId));
    const stop: StopSignal = { stopped: false };
    return stoppable(this.stream(plan.node.primary, plan.node.rest, args, state, state.resumeAfter ?? argValues.lastEventId ?? null, matches, stop), stop);
  }

  private async *stream(
    primary: FetchNode,
    rest: PlanNode | undefined,
    args: ExecutionArgs,
    state: ConnectionState,
    lastEventId: string | null,
    matches: (event: BusEvent) => boolean,
    stop: StopSignal,
  ): AsyncGenerator<ExecutionResult> {
    const queue: BusEvent[] = [];
    let wake: (() => void) | undefined;
    // When the queue is full the subscriber is behind: later events are not held in memory but read again from the
    // log once it has drained, after the last event this stream saw. A slow subscriber is paced, never dropped.
    let behind = false;
    let lastSeen = lastEventId;
    let generation = 0;
    const listen = (after: string | null) => {
      const mine = ++generation;
      return this.options.bus.subscribe({ afterEventId: after }, (event) => {
        if (mine !== generation || behind) return;
        if (matches(event)) {
          if (queue.length >= this.limits.maxQueuedEvents) {
            behind = true;
            return;
          }
          queue.push(event);
        }
        lastSeen = event.id;
        wake?.();
      });
    };
    let subscription: Subscription;
    stop.wake = () => wake?.();
    try {
      subscription = await listen(lastEventId);
    } catch (error) {
      if (error instanceof UnknownEventError) {
        yield { errors: [new GraphQLError(error.message, { extensions: { code: 'BAD_USER_INPUT', field: 'lastEventId' } })] };
        return;
      }
      throw error;
    }
    const queryPlan: QueryPlan = { kind: 'QueryPlan', node: rest ? { kind: 'Sequence', nodes: [primary, rest] } : primary };
    // What an event's result depends on besides the event: the same for identical subscriptions of one principal.
    const sharingKey = `${JSON.stringify(state.principal)}\n${args.operationName ?? ''}\n${print(args.document)}\n${JSON.stringify(args.variableValues ?? {})}`;
    try {
      while (!stop.stopped) {
        const event = queue.shift();
        if (!event && behind) {
          await subscription.close();
          behind = false;
          try {
            subscription = await listen(lastSeen);
          } catch (error) {
            // The log no longer holds where this subscriber was: it cannot be caught up, only told.
            if (!(error instanceof UnknownEventError)) throw error;
            subscription = { close: async () => {} };
            yield {
              errors: [
                new GraphQLError('subscriber is too slow: events were dropped; resubscribe with lastEventId', { extensions: { code: 'SUBSCRIBER_TOO_SLOW' } }),
              ],
            };
            return;
          }
          continue;
        }
        if (!event) {
          await new Promise<void>((resolve) => (wake = resolve));
          wake = undefined;
          continue;
        }
        const result = { ...(await this.shared(`${event.id}\n${sharingKey}`, () => this.execute(queryPlan, primary, args, state, event))) };
        // An event the owning subgraph refuses for this subscriber is not theirs to see: skip, do not leak.
        if (result.errors?.some((e) => e.extensions?.code === 'FORBIDDEN') && !result.data) continue;
        Object.defineProperty(result, EVENT_ID, { value: event.id, enumerable: false });
        yield result;
      }
    } finally {
      await subscription.close();
    }
  }

  /** One execution per key while it runs and for a second after (subscribers reach an event at slightly different times). */
  private shared(key: string, run: () => Promise<ExecutionResult>): Promise<ExecutionResult> {
    let execution = this.executions.get(key);
    if (!execution) {
      execution = run();
      this.executions.set(key, execution);
      const forget = () => void setTimeout(() => this.executions.delete(key), 1_000).unref();
      execution.then(forget, forget);
    }
    return execution;
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
    const operationContext = buildOperationContext({
      schema: this.apiSchemaJs,
      operationDocument: args.document,
      operationName: args.operationName ?? undefined,
    });
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

/** Set when the subscriber goes away; `wake` interrupts a stream that is waiting for its next event. */
interface StopSignal {
  stopped: boolean;
  wake?: () => void;
}

/**
 * An async generator's `return()` waits until the generator reaches its next `yield`; a stream waiting for an event
 * that may never come (a filter on one order) would keep its bus subscription, its queue and its closure for as
 * long as the process runs after the client went away. Here `return()`/`throw()` first stop and wake the stream,
 * so it leaves its loop and closes its bus subscription at once.
 */
function stoppable(inner: AsyncGenerator<ExecutionResult>, stop: StopSignal): AsyncGenerator<ExecutionResult> {
  const halt = () => {
    stop.stopped = true;
    stop.wake?.();
  };
  const iterator = {
    next: (...args: [] | [unknown]) => inner.next(...args),
    return: (value?: unknown) => (halt(), inner.return(value as never)),
    throw: (error?: unknown) => (halt(), inner.throw(error)),
    [Symbol.asyncIterator]: () => iterator,
  };
  return iterator as unknown as AsyncGenerator<ExecutionResult>;
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
                  arguments: [
                    {
                      kind: Kind.ARGUMENT,
                      name: { kind: Kind.NAME, value: 'event' },
                      value: { kind: Kind.VARIABLE, name: { kind: Kind.NAME, value: '__ipayEvent' } },
                    },
                  ],
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
