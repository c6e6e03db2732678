import type { EIP1193EventMap } from 'viem'
import { InvalidParamsError, InvalidRequestError, toRpcError } from './errors.js'
import { methodHandlers } from './methods/index.js'
import type { MethodContext, MethodHandler } from './methods/types.js'
import type { KeyleashOptions } from './options.js'
import { resolveOptions } from './resolveOptions.js'
import { createSessionsApi, type SessionInfo, type SessionsApi } from './sessions/api.js'
import { memoryStore } from './sessions/memoryStore.js'
import { sessionIndex } from './sessions/sessionIndex.js'
import type { Session } from './sessions/types.js'
import { SafeEmitter } from './emitter.js'
import type { KeyleashRequest } from './rpcSchema.js'
import { callsIds } from './execution/callsIds.js'
import { erc7836Executor } from './execution/erc7836.js'
import type { Executor } from './execution/types.js'
import type { WalletDialect } from './permissions/dialects/types.js'
import { providerEvents, type Eip1193Provider, type RequestArguments } from './types.js'

/**
 * Every event a {@link KeyleashProvider} emits: the five EIP-1193 events of the inner
 * provider, passed through with the same arguments, and keyleash's own.
 *
 * @example
 * provider.on('accountsChanged', (accounts) => { if (accounts.length === 0) disconnect() })
 * provider.on('sessionRevoked', (session) => console.log('revoked', session.id))
 */
export type KeyleashEventMap = EIP1193EventMap & {
  /** A grant was kept: the session as stored, `active`. */
  sessionGranted(session: SessionInfo): void
  /** A session was revoked here (its key deleted), before the wallet is asked. */
  sessionRevoked(session: SessionInfo): void
  /** Calls were refused because the session is past its expiry. */
  sessionExpired(session: SessionInfo): void
}

/**
 * The EIP-1193 provider {@link withSessionKeys} returns: `request`, `sessions`, and the event
 * surface of eventemitter3's emitter (which it is), typed by {@link KeyleashEventMap}. A
 * listener that throws never fails what emitted the event.
 *
 * @example
 * provider.on('sessionGranted', onGranted).once('disconnect', onDisconnect)
 * provider.off('sessionGranted', onGranted)
 */
export interface KeyleashProvider {
  /**
   * EIP-1193 `request`: owned methods are handled here (typed by method), every other one goes
   * to the inner provider as it is.
   */
  request: KeyleashRequest
  /** The app's view of its sessions and keys. */
  readonly sessions: SessionsApi
  /** Adds `listener` for `event`. */
  on<event extends keyof KeyleashEventMap>(event: event, listener: KeyleashEventMap[event]): this
  /** The same as `on`. */
  addListener<event extends keyof KeyleashEventMap>(event: event, listener: KeyleashEventMap[event]): this
  /** Adds `listener` for the next `event` only. */
  once<event extends keyof KeyleashEventMap>(event: event, listener: KeyleashEventMap[event]): this
  // Two signatures rather than an optional listener: wagmi's `injected({ target })` takes a
  // provider whose removeListener has a required one, and an optional one does not fit it.
  /** Removes `listener`. */
  removeListener<event extends keyof KeyleashEventMap>(event: event, listener: KeyleashEventMap[event]): this
  /** Removes every listener of `event`. */
  removeListener(event: keyof KeyleashEventMap): this
  /** The same as `removeListener`. */
  off<event extends keyof KeyleashEventMap>(event: event, listener: KeyleashEventMap[event]): this
  /** The same as `removeListener`. */
  off(event: keyof KeyleashEventMap): this
  /** Removes every listener of `event`, or of every event. */
  removeAllListeners(event?: keyof KeyleashEventMap): this
  /** The listeners of `event`, as they were added. */
  listeners<event extends keyof KeyleashEventMap>(event: event): KeyleashEventMap[event][]
  /** How many listeners `event` has. */
  listenerCount(event: keyof KeyleashEventMap): number
  /** The events that have listeners. */
  eventNames(): (string | symbol)[]
}

/**
 * Wraps any EIP-1193 provider with session keys: grants made through it get a key the
 * middleware holds, and calls within a live session are signed locally. Every method it
 * does not own reaches `inner` untouched (same arguments object, same result, same coded
 * error); an inner error without a numeric code becomes a -32603 so viem maps it.
 *
 * https://eips.ethereum.org/EIPS/eip-1193 · https://eips.ethereum.org/EIPS/eip-7715
 *
 * @example
 * import { createWalletClient, custom } from 'viem'
 * import { withSessionKeys } from 'keyleash'
 *
 * const provider = withSessionKeys(window.ethereum, { maxExpiry: 24 * 60 * 60 })
 * const client = createWalletClient({ transport: custom(provider) })
 * provider.on('sessionGranted', (session) => console.log('granted', session.id))
 * const chainId = await client.getChainId()
 */
export function withSessionKeys(inner: Eip1193Provider, options: KeyleashOptions = {}): KeyleashProvider {
  if (typeof inner !== 'object' || inner === null || typeof inner.request !== 'function')
    throw new InvalidParamsError('provider', 'must be an EIP-1193 provider: an object with a `request` function')

  const resolved = resolveOptions(options)
  // Untyped inside (pass-through events carry whatever the inner provider sends); the
  // provider's interface types each event for the app.
  const emitter = new SafeEmitter()
  const store = options.store ?? memoryStore()
  const index = sessionIndex(store, resolved.autoRoute?.targets)
  const context: MethodContext = {
    inner,
    store,
    options: resolved,
    now: options.now ?? systemClock,
    emit: (event, payload) => {
      // Lookups must see a grant or a revoke at once: the index takes it in, one session.
      if (event === 'sessionGranted') index.granted(payload as Session)
      else if (event === 'sessionRevoked') index.revoked((payload as Session).id)
      emitter.emit(event, payload)
    },
    serialize: serialQueue(),
    executor: options.executor ?? defaultExecutor(resolved.wallet),
    callsIds: callsIds(),
    index,
  }
  forwardEvents(inner, emitter)

  // Not async, and nothing allocated on the pass-through path but the inner call's own promise
  // and its `.then`: the wrapper must cost well under 0.1 µs per call.
  function request(args: RequestArguments): Promise<unknown> {
    if (typeof args !== 'object' || args === null)
      return Promise.reject(new InvalidRequestError('request', 'must be an object { method, params? }'))
    const method = args.method
    if (typeof method !== 'string' || method === '')
      return Promise.reject(new InvalidRequestError('method', 'must be a non-empty string'))
    const handler = methodHandlers[method]
    // `hasOwn` only when something was found, so `toString` & co. are not taken for handlers.
    if (handler !== undefined && Object.hasOwn(methodHandlers, method)) return handle(handler, args, context)
    try {
      return Promise.resolve(inner.request(args)).then(undefined, rethrowCoded)
    } catch (error) {
      // An inner `request` that throws instead of rejecting. (`Promise.resolve` above takes a
      // wallet that answers with a bare value or a thenable; for a native promise it is free.)
      return Promise.reject(toRpcError(error))
    }
  }
  // The answers are the handlers' (checked by the tests of each method); the type says so once, here.
  return Object.assign(emitter, { request: request as KeyleashRequest, sessions: createSessionsApi(context) })
}

/** The default clock: the system's, in whole UNIX seconds. The only reader of `Date.now`. */
function systemClock(): number {
  return Math.floor(Date.now() / 1000)
}

// A wallet without ERC-7836 fails here, at setup, not with a 4200 at the first send.
function defaultExecutor(wallet: WalletDialect): Executor {
  if (wallet.requiresExecutor === undefined) return erc7836Executor()
  throw new InvalidParamsError(
    'executor',
    `the ${wallet.name} wallet has no wallet_prepareCalls, which the default executor (ERC-7836) needs; pass executor: ${wallet.requiresExecutor}`,
  )
}

/**
 * Binds one forwarder per EIP-1193 event and attaches it to `inner` once, for the
 * wrapper's lifetime (wagmi's connectors do the same); the app's listeners live on the
 * wrapper's emitter, so `removeListener` there removes them for real.
 */
function forwardEvents(inner: Eip1193Provider, emitter: SafeEmitter): void {
  if (typeof inner.on !== 'function') return
  for (const event of providerEvents) {
    inner.on(event, (...args: unknown[]) => {
      emitter.emit(event, ...args)
    })
  }
}

function handle(handler: MethodHandler, args: RequestArguments, context: MethodContext): Promise<unknown> {
  try {
    return handler(args.params, context, args).then(undefined, rethrowCoded)
  } catch (error) {
    return Promise.reject(toRpcError(error))
  }
}

// Module-level so the pass-through path allocates no closure per call.
function rethrowCoded(error: unknown): never {
  throw toRpcError(error)
}

/**
 * A one-at-a-time queue: each task starts after every earlier one has settled, and a task
 * that fails does not stop the ones after it.
 */
function serialQueue(): MethodContext['serialize'] {
  let tail: Promise<unknown> = Promise.resolve()
  return (task) => {
    const result = tail.then(() => task())
    tail = result.then(ignore, ignore)
    return result
  }
}

function ignore(): void {}
