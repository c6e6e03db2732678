import type { Address, Hex } from 'viem'
import type { Executor } from './execution/types.js'
import type { AllowListOption } from './permissions/allowList.js'
import type { AppDialect, WalletDialect } from './permissions/dialects/types.js'
import type { WalletEnforcement } from './permissions/enforcement.js'
import type { SessionSigningOption } from './permissions/sessionSigning.js'
import type { AutoRouting } from './sessions/autoRouting.js'
import type { P256Keys } from './sessions/p256Keys.js'
import type { SessionStore } from './sessions/types.js'

/** How `expiry` is read from an app's grant. */
export type ExpiryMode = 'auto' | 'timestamp' | 'duration'

/** The contracts and functions this app ever grants, given to `allowList`: a grant wider than this is refused with 4100. */
export type AllowList = readonly {
  target: Address
  /** Function signatures or 4-byte selectors; omitted means every function of `target`. */
  selectors?: readonly (string | Hex)[] | undefined
}[]

/**
 * What a session key may sign besides the calls keyleash checks (`wallet_sendCalls`), through
 * `personal_sign` and `eth_signTypedData_v4` from its address: given to `sessionSigning`,
 * whose result is the `signing` option. Everything is off by default:
 * keyleash cannot know what a hash or most typed data authorises, so a session key signs only
 * what it has checked against the grant. Each opt-in is recorded on the sessions granted under
 * it (`session.signing`), and a session signs a kind only when both it and the provider allow it.
 *
 * Turning one on widens the session: the limit on what a signature can do is then what the
 * account's contract (or the wallet's backend) accepts from the session key, not the grant.
 * Typed data that keyleash recognises as authorising calls or spending by the account (an
 * account's `Execute`, EIP-2612 / DAI `Permit`, Permit2, anything addressed to the account or
 * to a contract the session may call) is refused whatever is set here.
 */
export type SigningOptions = {
  /**
   * `personal_sign` of opaque bytes, raw 32-byte hashes included (Openfort's `signableHash`,
   * a backend's intent): the session key signs whatever hash the app brings, so the wallet's
   * on-chain scope for the key is the real limit. Default: `false`.
   */
  hashes?: boolean | undefined
  /** `personal_sign` of readable text (a SIWE-style login message). Default: `false`. */
  messages?: boolean | undefined
  /**
   * `eth_signTypedData_v4` of typed data keyleash does not recognise as authorising calls or
   * spending (a backend's own login or intent structs). Default: `false`.
   */
  typedData?: boolean | undefined
}

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
   * The drafts the app's own requests may be in besides viem's June 2024 one (always read):
   * `erc7715v2025Requests` (the February 2025 list of `wallet_grantPermissions`, and
   * `wallet_getPermissions`), `executionPermissionRequests` (`wallet_requestExecutionPermissions`
   * and `wallet_getGrantedExecutionPermissions`, 2026), imported from `keyleash`. The wallet's
   * own draft is read too (`wallet: executionPermissions` brings the 2026 one). A request in a
   * draft not read is refused with -32602 saying what to pass. Default: none.
   *
   * @example
   * import { erc7715v2025Requests, withSessionKeys } from 'keyleash'
   * withSessionKeys(inner, { requests: [erc7715v2025Requests] })
   */
  requests?: readonly AppDialect[] | undefined
  /**
   * How `expiry` is read. `'auto'` (default): a future timestamp is a timestamp, a small
   * value (below any plausible timestamp) a duration, a millisecond value is refused.
   */
  expiryMode?: ExpiryMode | undefined
  /** The longest session this app grants, in seconds from now. Default: 30 days. */
  maxExpiry?: number | undefined
  /**
   * The widest grant this app ever makes, `allowList([…])` from `keyleash`: a wider grant is
   * refused with 4100 before the wallet is asked. Default: no limit beyond validation.
   *
   * @example
   * withSessionKeys(inner, { allow: allowList([{ target: nft, selectors: ['mint(address)'] }]) })
   */
  allow?: AllowListOption | undefined
  /**
   * Refuse (4100, before the wallet is asked) a grant that holds its session to a rule the
   * wallet does not enforce itself (`WalletDialect.enforces`; e.g. selectors under Openfort),
   * so that a leaked session key can do no more than keyleash would sign: `walletEnforcement()`
   * from `keyleash`. Default: off (such rules are enforced by keyleash alone, and
   * `Session.enforcedBy` says which).
   *
   * @example
   * withSessionKeys(inner, { wallet: openfort, executor, requireWalletEnforcement: walletEnforcement() })
   */
  requireWalletEnforcement?: WalletEnforcement | undefined
  /**
   * The curve of the session keys keyleash makes. `'secp256k1'` (default): what most wallets
   * take. `p256Keys()`: a non-extractable WebCrypto P-256 key, which signs but whose bytes nothing
   * can read (a script on the page can still use it through keyleash while the page is open).
   * It needs a store that keeps a `CryptoKey` (`memoryStore`, `indexedDbStore`), an executor
   * that signs with it (the default, `hashExecutor`), and a wallet that takes `secp256r1` keys
   * (its dialect's `keyTypes`, and its `wallet_getCapabilities` where it answers them).
   */
  keyType?: 'secp256k1' | P256Keys | undefined
  /**
   * Signs and submits calls that fit a session. Default: `erc7836Executor()` (the inner
   * wallet prepares, the session key signs, the wallet submits).
   */
  executor?: Executor | undefined
  /**
   * `autoRouting()` from `keyleash`: sign `eth_sendTransaction` and `wallet_sendCalls` without
   * a permissions context with a live session that covers every call, instead of prompting.
   * Default: off. `true` is refused: pass `autoRouting()`, whose code only then is bundled.
   *
   * @example
   * withSessionKeys(inner, { autoRoute: autoRouting() })
   */
  autoRoute?: AutoRouting | undefined
  /**
   * The accounts whose sessions this provider uses, lists and revokes. Default: the inner
   * wallet's connected accounts (`eth_accounts`), asked each time. Set it on a server where
   * one store holds many users' sessions and the inner provider is not one user's wallet. With a
   * wallet that grants by its own steps (`thirdweb`), it names the smart account(s) the wallet's
   * connected account administers: grants go to them.
   */
  account?: Address | readonly Address[] | undefined
  /**
   * What session keys may sign through `personal_sign` / `eth_signTypedData_v4` besides the
   * calls keyleash checks: `sessionSigning({ … })` from `keyleash`, see {@link SigningOptions}.
   * Default: nothing, and a sign request from a session key's address is refused (4100) unread.
   *
   * @example
   * // The seed's step 4: the session key signs Openfort's `signableHash`.
   * withSessionKeys(inner, { wallet: openfort, signing: sessionSigning({ hashes: true }) })
   */
  signing?: SessionSigningOption | undefined
  /** The clock, in UNIX seconds. Default: the system clock. */
  now?: (() => number) | undefined
}
