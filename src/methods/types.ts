import type { Address } from 'viem'
import type { CallsIds } from '../execution/callsIds.js'
import type { Executor } from '../execution/types.js'
import type { SessionIndex } from '../sessions/sessionIndex.js'
import type { SessionSigning, SessionStore } from '../sessions/types.js'
import type { Eip1193Provider, RequestArguments } from '../types.js'
import type { KeyleashOptions } from '../options.js'
import type { RequestDialects } from '../permissions/dialects/index.js'
import type { SessionSigningOption } from '../permissions/sessionSigning.js'
import type { AutoRouting } from '../sessions/autoRouting.js'
import type { P256Keys } from '../sessions/p256Keys.js'

/** What every owned method's handler gets besides its params. */
export type MethodContext = {
  /** The wrapped wallet. */
  inner: Eip1193Provider
  store: SessionStore
  options: ResolvedOptions
  /** The injected clock, in UNIX seconds. */
  now(): number
  /** Emits a keyleash event (`sessionGranted`, `sessionRevoked`, `sessionExpired`). */
  emit(event: KeyleashEventName, payload: unknown): void
  /** Runs `task` after every task queued before it has settled: grants reach the wallet one at a time. */
  serialize<T>(task: () => Promise<T>): Promise<T>
  /** Signs and submits calls that fit a session. */
  executor: Executor
  /** The calls ids the executor answered, which keyleash answers `wallet_getCallsStatus` for. */
  callsIds: CallsIds
  /** Live sessions by key and by target, for lookups that must not scan the store. */
  index: SessionIndex
}

/**
 * Handles one owned RPC method. Throws coded errors; the provider serialises them. `request`
 * is the app's very request object, for handlers that hand a request they do not take on to
 * the wallet untouched.
 */
export type MethodHandler = (params: unknown, context: MethodContext, request: RequestArguments) => Promise<unknown>

export type KeyleashEventName = 'sessionGranted' | 'sessionRevoked' | 'sessionExpired'

/** Options with every default filled in. */
export type ResolvedOptions = Required<Pick<KeyleashOptions, 'wallet' | 'expiryMode' | 'maxExpiry'>> &
  Pick<KeyleashOptions, 'allow' | 'requireWalletEnforcement'> & {
    /** The `keyType` option; `undefined`: secp256k1 keys. */
    keyType: P256Keys | undefined
    /** The `autoRoute` option; `undefined`: off. */
    autoRoute: AutoRouting | undefined
    /** The `account` option as a list; `undefined`: the inner wallet's connected accounts. */
    account: readonly Address[] | undefined
    /** The drafts read besides June 2024's: the `requests` option and the wallet's own. */
    requests: RequestDialects
    /** The `signing` option's kinds, only what is on (`{}` without the option). */
    signing: SessionSigning
    /** The `signing` option: what reads and signs sign requests from session keys. */
    signRequests: SessionSigningOption | undefined
  }

export type { Address }
