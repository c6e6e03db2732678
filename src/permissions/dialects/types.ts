import type { Address } from 'viem'
import type { Session, SessionUsage } from '../../sessions/types.js'
import type { Eip1193Provider } from '../../types.js'
import type { ExpiryRules } from '../expiry.js'
import type { GrantDraft } from '../grantRequest.js'
import type { CheckScopeOptions, CheckScopeReturnType, ScopeCall } from '../scope.js'
import type { EnforcedRule, Grant, GrantRequest, KeyType, Permission, Signer } from '../types.js'

/** The shapes an app may ask in; the answer comes back in the same one. */
export type AppDialectName = 'erc7715' | 'erc7715-2025' | 'execution-permissions'

/** A grant ready to be forwarded: the signer is known by now. */
export type ResolvedGrantRequest = GrantRequest & { signer: Signer }

/** A grant as the wallet's revoke needs it: its context and the signer it went to (Openfort revokes by the key's address). */
export type RevocableGrant = { id: string; signer: Signer }

/** A grant live at a wallet that grants by its own steps, as its `revoke` needs it: a stored session is one. */
export type WalletGrant = RevocableGrant & { chainId: number; account: Address }

/**
 * What a dialect's own `grant` and `revoke` get from keyleash: the inner wallet, its chain, and
 * the wallet's connected account, which administers the account granted on (it signs, and
 * sends unless the dialect names a relayer).
 */
export type WalletCallContext = {
  inner: Eip1193Provider
  /** The inner wallet's chain, asked just now. */
  chainId: number
  /** The inner wallet's first connected account. */
  owner: Address
  /** The clock, in UNIX seconds. */
  now: number
}

/** What a dialect's own `grant` gets besides {@link WalletCallContext}. */
export type WalletGrantContext = WalletCallContext & {
  /** What `encode` made of these requests: checked before anything is asked of the owner. */
  params: unknown[]
  /**
   * Reports a grant as live at the wallet (or possibly live: a transaction sent whose outcome
   * is unknown), as soon as it is. If keyleash then does not keep it (an answer `decode`
   * refuses, a failing store, a later error in `grant` itself), it revokes it with `revoke`.
   */
  live(grant: WalletGrant): void
}

/** What encoders and decoders may need beyond the request: the clock, in UNIX seconds. */
export type CodecContext = { now: number }

/**
 * How one wallet speaks ERC-7715: pure functions, no I/O. `keyleash/wallets` has the dialects
 * keyleash knows; a wallet that speaks another way gets one of its own, passed as the
 * `wallet` option of `withSessionKeys`.
 *
 * @example
 * import { InvalidParamsError, withSessionKeys, type WalletDialect } from 'keyleash'
 * import { erc7715 } from 'keyleash/wallets'
 *
 * // A wallet that reads viem's shape but enforces no limits: refuse them rather than drop them.
 * const acme: WalletDialect = {
 *   ...erc7715,
 *   name: 'acme',
 *   enforces: ['target', 'selector', 'expiry'],
 *   encode(requests, context) {
 *     if (requests.some((request) => request.policies.length > 0)) throw new InvalidParamsError('policies', 'the Acme wallet enforces no limits; grant without them')
 *     return erc7715.encode(requests, context)
 *   },
 * }
 * const provider = withSessionKeys(acmeProvider, { wallet: acme })
 */
export type WalletDialect = {
  /** Kept on every session it grants (`Session.wallet`): a provider revokes at the wallet only sessions of its own dialect. */
  name: string
  /** The RPC method the wallet takes grants on: an ERC-7715 one, or the wallet's own. */
  grantMethod: 'wallet_grantPermissions' | 'wallet_requestExecutionPermissions' | (string & {})
  /** The RPC method the wallet takes revocations on: an ERC-7715 one, or the wallet's own. */
  revokeMethod: 'wallet_revokePermissions' | 'wallet_revokeExecutionPermission' | (string & {})
  /** Whether one wallet call may carry several grants. */
  batches: boolean
  /**
   * The rules the wallet itself enforces (on chain or at its backend) for what it grants; the
   * others hold only because keyleash checks them before signing (`Session.enforcedBy`).
   */
  enforces: readonly EnforcedRule[]
  /**
   * The key types the wallet takes for a `key` signer, as its dialect can carry them. Default:
   * `['secp256k1']`. Where the wallet answers `wallet_getCapabilities` with
   * `permissions.keyTypes`, keyleash takes only those of these; a P-256 (`secp256r1`) key
   * offered to a wallet that does not take one is refused before the wallet is asked.
   */
  keyTypes?: readonly KeyType[] | undefined
  /**
   * Set when the wallet has no ERC-7836 `wallet_prepareCalls` (the default executor's seam):
   * the executor to use instead, and `withSessionKeys` refuses to start without an `executor`.
   */
  requiresExecutor?: string | undefined
  /**
   * The rules the wallet enforces for this one request, where that depends on what it asks
   * (thirdweb's account caps native value per transaction: the whole value rule only when no
   * value is granted). Default: `enforces`.
   */
  enforcesFor?(request: GrantRequest): readonly EnforcedRule[]
  /** The params to send the wallet. Throws an `InvalidParamsError` for what the wallet cannot express. */
  encode(requests: readonly ResolvedGrantRequest[], context: CodecContext): unknown[]
  /** What the wallet granted, one per request, in order. Throws for an answer it cannot read. */
  decode(result: unknown, requests: readonly ResolvedGrantRequest[], context: CodecContext): Grant[]
  /** The params that revoke a grant at the wallet. */
  encodeRevoke(session: RevocableGrant): unknown[]
  /**
   * What the wallet granted, read leniently from ANY answer it gave to `grantMethod`, also one
   * `decode` refuses, as `encodeRevoke` takes it. Whenever keyleash does not keep what the wallet
   * granted (an answer it cannot read, an expiry it refuses, a duplicate context, a failing
   * store), it revokes these at the wallet before answering the app. Must not throw; `[]` when
   * the answer names nothing revocable. Default: `grantedContexts` (the `permissionsContext` or
   * `context` of the answer, or of each item of a list), with the signers asked.
   */
  granted?(result: unknown, requests: readonly ResolvedGrantRequest[]): RevocableGrant[]
  /**
   * For a wallet that grants by its own steps rather than one RPC method (an account that speaks
   * no ERC-7715: an owner's signature, then a transaction that sets the session key on chain):
   * called INSTEAD of `inner.request({ method: grantMethod, params })`, with what `encode` made
   * (so a grant the wallet cannot hold is refused before the owner sees anything). Resolves to
   * the wallet's answer, which `decode` reads as for any dialect; reports each grant as it goes
   * live (`context.live`), so nothing stays live when the grant fails after that. Comes with
   * `revoke`; `grantMethod` and `revokeMethod` then name the wallet's own call, in messages.
   */
  grant?(requests: readonly ResolvedGrantRequest[], context: WalletGrantContext): Promise<unknown>
  /**
   * Revokes at the wallet, instead of `inner.request({ method: revokeMethod })`: a session
   * keyleash stored, or a grant the dialect's `grant` reported live. Resolves once the wallet
   * no longer honours the key; rejects with a coded error otherwise.
   */
  revoke?(grant: WalletGrant, context: WalletCallContext): Promise<void>
  /**
   * The permission kinds this wallet grants that core keyleash does not read itself (MetaMask's
   * Advanced Permissions, carried by `executionPermissions`). Without them, a request naming
   * such a type is refused (-32602), and a stored session holding one is never signed under.
   */
  permissionKinds?: PermissionKinds | undefined
  /**
   * The draft this wallet's apps ask in, when it is not viem's June 2024 one: read by a provider
   * made with this wallet as if passed in `requests` (`erc7715v2025` brings the 2025 list,
   * `executionPermissions` the 2026 requests).
   */
  requests?: AppDialect | undefined
}

/** A permission of the kinds core keyleash leaves to {@link PermissionKinds}: MetaMask's `spend` and `revocation`. */
export type KindPermission = Extract<Permission, { type: 'spend' | 'revocation' }>

/** A rule of a 2026 request besides `expiry`, as sent: `field` is its path (`[0].rules[1]`). */
export type WireRule = { type: unknown; data: unknown; field: string }

/** The rules a {@link KindPermission} may carry besides `expiry`: who may redeem it, who may be paid. */
export type PermissionRules = { redeemers?: readonly Address[]; payees?: readonly Address[] }

/**
 * What core keyleash needs for permission kinds it does not know (a wallet dialect's
 * `permissionKinds`): read them from an app's request and a wallet's answer, write them back,
 * narrow what the wallet granted to what was asked, and check calls against them. Pure
 * functions; each throws an `InvalidParamsError` naming the field for what it refuses.
 *
 * @example
 * import { checkScope } from 'keyleash'
 * import { advancedPermissions } from 'keyleash/wallets'
 *
 * checkScope(session, calls, { chainId: 1, now, canSign: true, permissionKinds: advancedPermissions })
 */
export type PermissionKinds = {
  /** One permission of wire type `type` (its `data` at `field`); `undefined` when `type` is none of these kinds. */
  parse(type: string, data: unknown, field: string): KindPermission | undefined
  /** A 2026 request's rules besides `expiry`, read; refuses a rule it does not know. */
  readRules(rules: readonly WireRule[]): PermissionRules
  /** The permission with the rules on it, or a refusal of a rule the permission cannot carry (never a dropped rule). */
  withRules(permission: Permission, rules: PermissionRules, field: string): Permission
  /** The wire form `{ type, data }` of one of these permissions. */
  encode(permission: KindPermission): { type: string; data: unknown }
  /** Its rules besides `expiry`, in the 2026 wire form. */
  encodeRules(permission: KindPermission): { type: string; data: unknown }[]
  /** What one of these permissions names: an asked and a granted one with the same key are the same permission. */
  key(permission: KindPermission): string
  /** The permission no wider than `asked`, whatever the wallet `granted` (both of one kind). */
  narrow(asked: KindPermission, granted: KindPermission): KindPermission
  /** The scope check, after the session rules (rule 0), of a session holding these permissions. */
  checkCalls(session: Session, calls: readonly ScopeCall[], options: CheckScopeOptions): CheckScopeReturnType
  /** The spends `checkCalls` reserved for a send that failed before it was handed on, taken back (`reserved - before`) from `current`. */
  releaseSpends(current: SessionUsage['spends'], before: SessionUsage['spends'], reserved: SessionUsage['spends']): SessionUsage['spends']
}

/**
 * How an app may ask: reads its params into checked drafts, and answers with the stored
 * sessions in the same shape. viem's June 2024 draft is always read; the others are values an
 * app passes in the `requests` option of `withSessionKeys`, so an app that does not ask in them
 * does not ship their parsers.
 *
 * @example
 * import { erc7715v2025Requests, withSessionKeys } from 'keyleash'
 *
 * const provider = withSessionKeys(inner, { requests: [erc7715v2025Requests] })
 */
export type AppDialect = {
  /** Which draft: `erc7715-2025` or `execution-permissions` (`erc7715`, June 2024, is always read). */
  name: AppDialectName
  /** The app's params, checked, as drafts. `kinds`: the wallet dialect's `permissionKinds`, for the types core does not read itself. */
  parse(params: unknown, rules: ExpiryRules, kinds?: PermissionKinds): GrantDraft[]
  /** The stored sessions, in the shape the app asked in (what the grant and the listing methods answer). */
  answer(sessions: readonly Session[], kinds?: PermissionKinds): unknown
}
