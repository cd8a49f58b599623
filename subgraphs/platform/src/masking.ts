import { AsyncLocalStorage } from 'node:async_hooks';
import type { GraphQLFormattedError } from 'graphql';
import type { IpayEnvironment } from './config.ts';
import type { Logger } from './logger.ts';

/** The request being served, for code that has no context object (Apollo's formatError, loggers). */
export const requestScope = new AsyncLocalStorage<{ requestId: string }>();

/** Extensions that describe the inside of a process (stack traces, exceptions): sent in development only. */
const INTERNAL_EXTENSIONS = ['stacktrace', 'exception'];

export const MASKED_ERROR_MESSAGE = 'Internal server error';

/**
 * Turns an error about to leave the process into what a client may see. Errors that carry a code of their own
 * (`NOT_FOUND`, `BAD_USER_INPUT`, `UNAUTHENTICATED`, catalogued domain errors, …) pass with their message and
 * extensions; an unexpected one (no code, or `INTERNAL_SERVER_ERROR`: a thrown exception, SQL text, a bug) is
 * logged in full and answered with a generic message and the request id, outside development.
 */
export function formatClientError(formatted: GraphQLFormattedError, original: unknown, environment: IpayEnvironment, logger: Logger): GraphQLFormattedError {
  const hidden = new Set<string>(environment === 'development' ? [] : INTERNAL_EXTENSIONS);
  const extensions: Record<string, unknown> = Object.fromEntries(Object.entries(formatted.extensions ?? {}).filter(([key]) => !hidden.has(key)));
  // A subgraph's HTTP answer keeps its status and (already masked) body, which callers classify; never its URL.
  if (extensions.response && typeof extensions.response === 'object') {
    const { url: _url, headers: _headers, ...response } = extensions.response as Record<string, unknown>;
    extensions.response = response;
  }
  const requestId = requestScope.getStore()?.requestId;
  const code = extensions.code;
  if (environment !== 'development' && (code === undefined || code === 'INTERNAL_SERVER_ERROR')) {
    logger.error({ err: original, requestId, message: formatted.message, path: formatted.path }, 'unexpected error (masked for the client)');
    return {
      message: MASKED_ERROR_MESSAGE,
      ...(formatted.path ? { path: formatted.path } : {}),
      extensions: {
        code: 'INTERNAL_SERVER_ERROR',
        ...(requestId ? { requestId } : {}),
        ...(extensions.serviceName ? { serviceName: extensions.serviceName } : {}),
      },
    };
  }
  // graphql-js reports a variable of the wrong type only in its message; clients branch on `extensions.field`.
  if (code === 'BAD_USER_INPUT' && extensions.field === undefined) {
    const field = fieldOfCoercionError(formatted.message);
    if (field) extensions.field = field;
  }
  return { ...formatted, extensions };
}

/**
 * `Variable "$input" got invalid value 1.5 at "input.totalAmount"; …` → `totalAmount` (the path inside the
 * input, as resolvers name fields); `Variable "$n" of required type "Int!" was not provided.` → `n`.
 */
export function fieldOfCoercionError(message: string): string | undefined {
  const match = /^Variable "\$([A-Za-z_][A-Za-z0-9_]*)" (?:got invalid value .*? at "([^"]+)"|got invalid value|of (?:required|non-null) type)/s.exec(message);
  if (!match) return undefined;
  const [, variable, path] = match;
  if (!path) return variable;
  const inner = path.startsWith(`${variable}.`) ? path.slice(variable!.length + 1) : path.startsWith(`${variable}[`) ? path.slice(variable!.length) : path;
  return inner || variable;
}

/** Apollo Server settings that follow IPAY_ENV: the same for the gateway and every subgraph. */
export function apolloEnvironmentOptions(environment: IpayEnvironment, logger: Logger) {
  const development = environment === 'development';
  return {
    // GraphiQL of the sandbox (`pnpm start`) needs introspection; production never serves it.
    introspection: environment !== 'production',
    includeStacktraceInErrorResponses: development,
    // No "Did you mean …" suggestions outside development: they map the schema for whoever probes it.
    hideSchemaDetailsFromClientErrors: !development,
    formatError: (formatted: GraphQLFormattedError, error: unknown) => formatClientError(formatted, error, environment, logger),
  };
}
