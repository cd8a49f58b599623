/**
 * Typed connector errors. Callers branch on the class (or `code`), never on the message; messages name the platform
 * and the field or request path but never carry credentials, signatures or query strings.
 */
export type ConnectorErrorCode = 'INVALID_CREDENTIALS_INPUT' | 'AUTH_FAILED' | 'UNAVAILABLE' | 'PAYLOAD_INVALID' | 'REQUEST_REJECTED' | 'CURSOR_INVALID';

export abstract class ConnectorError extends Error {
  abstract readonly code: ConnectorErrorCode;
  constructor(
    readonly platform: string,
    message: string,
  ) {
    super(`${platform}: ${message}`);
    this.name = new.target.name;
  }
}

/** The credentials given for a platform are malformed (missing field, wrong shape); nothing was sent. */
export class ConnectorCredentialsError extends ConnectorError {
  readonly code = 'INVALID_CREDENTIALS_INPUT' as const;
  constructor(
    platform: string,
    readonly field: string,
    message: string,
  ) {
    super(platform, `credentials.${field}: ${message}`);
  }
}

/** The platform refused the credentials (401/403 or its own auth error code): the merchant must reconnect. */
export class ConnectorAuthError extends ConnectorError {
  readonly code = 'AUTH_FAILED' as const;
  constructor(
    platform: string,
    message: string,
    readonly status?: number,
  ) {
    super(platform, message);
  }
}

/**
 * The platform could not answer now (5xx, 429, timeout, network): retry later. `retryAfterMs` is the platform's own
 * hint (Retry-After or an equivalent body field) when it gave one.
 */
export class ConnectorUnavailableError extends ConnectorError {
  readonly code = 'UNAVAILABLE' as const;
  constructor(
    platform: string,
    message: string,
    readonly reason: 'server_error' | 'rate_limited' | 'timeout' | 'network' | 'inconsistent',
    readonly status?: number,
    readonly retryAfterMs?: number,
  ) {
    super(platform, message);
  }
}

/** The platform answered, but not with what its API documents (bad JSON, missing field, impossible amount). */
export class ConnectorPayloadError extends ConnectorError {
  readonly code = 'PAYLOAD_INVALID' as const;
  constructor(
    platform: string,
    readonly path: string,
    message: string,
  ) {
    super(platform, `${path}: ${message}`);
  }
}

/** The platform rejected a well-formed request (other 4xx: unknown order, invalid transition...). */
export class ConnectorRequestError extends ConnectorError {
  readonly code = 'REQUEST_REJECTED' as const;
  constructor(
    platform: string,
    message: string,
    readonly status?: number,
  ) {
    super(platform, message);
  }
}

/** A sync cursor that this code did not produce for this platform. */
export class ConnectorCursorError extends ConnectorError {
  readonly code = 'CURSOR_INVALID' as const;
}
