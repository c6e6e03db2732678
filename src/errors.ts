import { errorCodes, JsonRpcError } from '@metamask/rpc-errors'

/** What every keyleash error carries in `data`: the field at fault and what to do. */
export type KeyleashErrorData = {
  /** Path of the offending field in the request, e.g. `permissions[0].data.calls[1]`. */
  field?: string | undefined
  /** A hint of what to do about it. */
  hint?: string | undefined
  /** Why calls did not fit a session, one entry per call. */
  reasons?: readonly unknown[] | undefined
  /** The permissions context concerned, when there is one. */
  context?: string | undefined
  cause?: unknown
  [key: string]: unknown
}

/**
 * The base of every error keyleash throws: a JSON-RPC error with a numeric `code`
 * (so viem maps it to its own classes and never retries it) and a `data` that names the field.
 */
export class KeyleashError extends JsonRpcError<KeyleashErrorData> {
  override name = 'KeyleashError'
}

/**
 * -32602: the request was malformed. The message is `<field>: <rule>`.
 *
 * @example
 * throw new InvalidParamsError('expiry', 'must be in the future')
 */
export class InvalidParamsError extends KeyleashError {
  static readonly code = errorCodes.rpc.invalidParams
  override name = 'InvalidParamsError'
  constructor(field: string, rule: string, data: Omit<KeyleashErrorData, 'field'> = {}) {
    super(InvalidParamsError.code, `${field}: ${rule}`, { field, ...data })
  }
}

/**
 * 4100: the request is well formed but not allowed: wider than the app's own limits,
 * or calls that do not fit the session (the reasons are in `data.reasons`).
 */
export class UnauthorizedError extends KeyleashError {
  static readonly code = errorCodes.provider.unauthorized
  override name = 'UnauthorizedError'
  constructor(message: string, data: KeyleashErrorData = {}) {
    super(UnauthorizedError.code, message, data)
  }
}

/**
 * -32603: the wallet granted, but the session could not be kept (the store failed), or
 * another internal failure. `data.context` names the grant so the app can revoke it.
 */
export class InternalError extends KeyleashError {
  static readonly code = errorCodes.rpc.internal
  override name = 'InternalError'
  constructor(message: string, data: KeyleashErrorData = {}) {
    super(InternalError.code, message, data)
  }
}

/**
 * Turns anything thrown into an error with a numeric JSON-RPC code, at the one boundary
 * where errors leave the provider. Coded errors pass unchanged (code, message and data);
 * anything else becomes -32603 with its message kept and the original under `data.cause`.
 */
export function toRpcError(error: unknown): Error & { code: number } {
  if (error instanceof Error && Number.isInteger((error as { code?: unknown }).code))
    return error as Error & { code: number }
  const message = error instanceof Error ? error.message : typeof error === 'string' ? error : 'Internal error'
  const coded = new InternalError(message, { cause: error })
  coded.cause = error
  return coded
}
