import type { Address, Hex } from 'viem'
import type { Executor } from './execution/types.js'
import type { WalletDialect } from './permissions/dialects/types.js'
import type { SessionStore } from './sessions/types.js'

/** How `expiry` is read from an app's grant. */
export type ExpiryMode = 'auto' | 'timestamp' | 'duration'

/** The contracts and functions this app ever grants: a grant wider than this is refused with 4100. */
export type AllowList = readonly {
  target: Address
  /** Function signatures or 4-byte selectors; omitted means every function of `target`. */
  selectors?: readonly (string | Hex)[] | undefined
}[]

/** Options of {@link withSessionKeys}. */
export type KeyleashOptions = {
  /** Where sessions and keys are kept. Default: `memoryStore()`. */
  store?: SessionStore | undefined
  /**
   * The dialect the inner wallet speaks, from `keyleash/wallets` (`openfort`, `erc7715v2025`,
   * `executionPermissions`) or one of the app's own. Default: `erc7715` (viem's, June 2024 draft).
   */
  wallet?: WalletDialect | undefined
  /**
   * How `expiry` is read. `'auto'` (default): a future timestamp is a timestamp, a small
   * value (below any plausible timestamp) a duration, a millisecond value is refused.
   */
  expiryMode?: ExpiryMode | undefined
  /** The longest session this app grants, in seconds from now. Default: 30 days. */
  maxExpiry?: number | undefined
  /** The widest grant this app ever makes. Default: no limit beyond validation. */
  allow?: AllowList | undefined
  /**
   * Refuse (4100, before the wallet is asked) a grant that holds its session to a rule the
   * wallet does not enforce itself (`WalletDialect.enforces`; e.g. selectors under Openfort),
   * so that a leaked session key can do no more than keyleash would sign. Default: `false`
   * (such rules are enforced by keyleash alone, and `Session.enforcedBy` says which).
   */
  requireWalletEnforcement?: boolean | undefined
  /**
   * Signs and submits calls that fit a session. Default: `erc7836Executor()` (the inner
   * wallet prepares, the session key signs, the wallet submits).
   */
  executor?: Executor | undefined
  /**
   * Sign `eth_sendTransaction` and `wallet_sendCalls` without a permissions context with a
   * live session that covers every call, instead of prompting. Default: `false`.
   */
  autoRoute?: boolean | undefined
  /**
   * The accounts whose sessions this provider uses, lists and revokes. Default: the inner
   * wallet's connected accounts (`eth_accounts`), asked each time. Set it on a server where
   * one store holds many users' sessions and the inner provider is not one user's wallet.
   */
  account?: Address | readonly Address[] | undefined
  /** The clock, in UNIX seconds. Default: the system clock. */
  now?: (() => number) | undefined
}
