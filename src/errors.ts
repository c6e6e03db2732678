import { errorCodes } from '@metamask/rpc-errors'
import type { ScopeReason } from './permissions/scope.js'

/** What every keyleash error carries in `data`: the field at fault and what to do. */
export type KeyleashErrorData = {
  /** Path of the offending field in the request, e.g. `permissions[0].data.calls[1]`. */
  field?: string | undefined
  /** A hint of what to do about it. */
  hint?: string | undefined
  /** Why calls did not fit a session, one entry per call (`null` for a call that fits). */
  reasons?: readonly (ScopeReason | null)[] | undefined
  /** The permissions context concerned, when there is one. */
  context?: string | undefined
  cause?: unknown
  [key: string]: unknown
}

/**
 * The base of every error keyleash throws: a JSON-RPC error with a numeric `code` from
 * `@metamask/rpc-errors`' table (so viem maps it to its own classes) and a `data` that names
 * the field. It serialises as `{ code, message, data }` and nothing else: no stack.
 *
 * Not built on rpc-errors' `JsonRpcError`: that class brings a JSON validator (~3.5 kB of
 * the bundle) and serialises the stack; the codes are what matter to EIP-1193 callers.
 *
 * @example
 * throw new KeyleashError(4900, 'the wallet is disconnected', { hint: 'reconnect' })
 */
export class KeyleashError extends Error {
  override name = 'KeyleashError'
  readonly code: number
  readonly data: KeyleashErrorData | undefined
  constructor(code: number, message: string, data?: KeyleashErrorData) {
    // Whatever a message quotes, a private key passed by mistake never leaves in it.
    super(redactHex(message))
    this.code = code
    this.data = data
  }

  /** The error as it travels over JSON-RPC (what `JSON.stringify` writes). */
  toJSON(): { code: number; message: string; data?: KeyleashErrorData } {
    const { code, message, data } = this
    return data === undefined ? { code, message } : { code, message, data }
  }
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
    super(errorCodes.rpc.invalidParams, `${field}: ${rule}`, { field, ...data })
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
    super(errorCodes.provider.unauthorized, message, data)
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
    super(errorCodes.rpc.internal, message, data)
  }
}

/**
 * -32600: what was passed to `request` is not a request at all (not an object, or no
 * method name). JSON-RPC 2.0 gives -32600 to "not a valid Request object"; -32602 is for
 * the params of a method that exists, so it does not fit a request with no method.
 *
 * @example
 * throw new InvalidRequestError('method', 'must be a non-empty string')
 */
export class InvalidRequestError extends KeyleashError {
  static readonly code = errorCodes.rpc.invalidRequest
  override name = 'InvalidRequestError'
  constructor(field: string, rule: string) {
    super(errorCodes.rpc.invalidRequest, `${field}: ${rule}`, { field })
  }
}

// Longer than an address (40 hex digits): a private key, a hash, or part of one.
const longHex = /(?:0x)?[0-9a-fA-F]{41,}/g

/**
 * `text` with every run of more than 40 hex digits (a private key, or any 32-byte value, which
 * could be one) replaced by a note of its length. Addresses are kept. Every keyleash error
 * message goes through it.
 *
 * @example
 * redactHex('signer.data.id: "0x6ba2…(64 digits)" is not an address') // 'signer.data.id: "<64 hex digits, not shown>" is not an address'
 */
export function redactHex(text: string): string {
  return text.replace(longHex, (run) => `<${run.startsWith('0x') ? run.length - 2 : run.length} hex digits, not shown>`)
}

/** An error as EIP-1193 and viem read it: an integer `code`, usually a `message` and `data`. */
export type CodedError = { readonly code: number; readonly message?: unknown; readonly data?: unknown }

/**
 * Turns anything thrown into an error with an integer JSON-RPC code, at the one boundary
 * where errors leave the provider.
 *
 * - Anything with an integer `code` (an `Error` or a plain `{ code, message }` object, as
 *   many wallets reject with) is returned as it is: the same object, code, message and data.
 * - Anything else becomes -32603 with its message kept. The original stays on the
 *   (non-enumerable) `cause` for in-process debugging; `data.cause` holds only a JSON-safe
 *   summary (`name`, `message`, a string `code`) so no stack or object graph reaches the app.
 *
 * @example
 * try {
 *   await inner.request(args)
 * } catch (error) {
 *   throw toRpcError(error) // `{ code: -32603, message: 'socket hang up', data: { cause: { name: 'Error', message: 'socket hang up' } } }`
 * }
 */
export function toRpcError(error: unknown): CodedError {
  if (isCoded(error)) return error
  // Its whole message, not messageOf's line: this error stands for the thrown one. JsonRpcError refuses an empty message.
  const message = typeof error === 'string' ? error : isObject(error) ? error.message : undefined
  const coded = new InternalError(typeof message === 'string' && message !== '' ? message : 'Internal error', { cause: causeOf(error) })
  // Reassigning keeps `cause` non-enumerable (Error's own `cause` is), so JSON never sees it.
  coded.cause = error
  return coded
}

function isCoded(error: unknown): error is CodedError {
  return typeof error === 'object' && error !== null && Number.isInteger((error as { code?: unknown }).code)
}

/**
 * What went wrong, in one line to quote inside a keyleash message: viem's short message with its
 * details (the node's or the bundler's own words) when the error has them, not its long message
 * with docs links and versions; else its message; else the thrown value as text.
 *
 * @example
 * new InternalError(`the relayer could not send it: ${messageOf(error)}`)
 */
export function messageOf(error: unknown): string {
  if (!isObject(error)) return String(error)
  const { shortMessage, details, message } = error
  if (typeof shortMessage === 'string') return typeof details === 'string' && details !== '' ? `${shortMessage} — ${details}` : shortMessage
  return typeof message === 'string' ? message : String(error)
}

/**
 * What of a thrown value may travel in an error's `data.cause`: primitives as they are,
 * objects reduced to their `name`, `message` and `code` strings, so no stack, key or object
 * graph reaches the app.
 *
 * @example
 * new InternalError('the store failed', { cause: causeOf(error) })
 */
export function causeOf(error: unknown): unknown {
  if (typeof error === 'string') return redactHex(error)
  if (typeof error === 'boolean' || error === null) return error
  if (typeof error === 'number') return Number.isFinite(error) ? error : String(error)
  if (!isObject(error)) return undefined
  const summary: Record<string, string> = {}
  for (const key of ['name', 'message', 'code'] as const) {
    const value = error[key]
    if (typeof value === 'string') summary[key] = redactHex(value)
  }
  return summary
}

/**
 * The JSON-RPC code a thrown value carries, or -32603: a failure passed on keeps the wallet's code.
 *
 * @example
 * new KeyleashError(codeOf(error), `the wallet did not revoke it: ${messageOf(error)}`)
 */
export function codeOf(error: unknown): number {
  return isCoded(error) ? error.code : InternalError.code
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null
}
