import type { Session } from '../../sessions/types.js'
import type { ExpiryRules } from '../expiry.js'
import type { GrantDraft } from '../grantRequest.js'
import type { EnforcedRule, Grant, GrantRequest, Signer } from '../types.js'

/** The shapes an app may ask in; the answer comes back in the same one. */
export type AppDialectName = 'erc7715' | 'erc7715-2025' | 'execution-permissions'

/** A grant ready to be forwarded: the signer is known by now. */
export type ResolvedGrantRequest = GrantRequest & { signer: Signer }

/** A grant as the wallet's revoke needs it: its context and the signer it went to (Openfort revokes by the key's address). */
export type RevocableGrant = { id: string; signer: Signer }

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
   * Set when the wallet has no ERC-7836 `wallet_prepareCalls` (the default executor's seam):
   * the executor to use instead, and `withSessionKeys` refuses to start without an `executor`.
   */
  requiresExecutor?: string | undefined
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
}

/**
 * How an app may ask: reads its params into checked drafts, and answers with the stored
 * sessions in the same shape.
 */
export type AppDialect = {
  name: AppDialectName
  parse(params: unknown, rules: ExpiryRules): GrantDraft[]
  answer(sessions: readonly Session[]): unknown
}
