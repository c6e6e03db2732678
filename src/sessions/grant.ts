import type { Address } from 'viem'
import { causeOf, InternalError, KeyleashError } from '../errors.js'
import { appDialectOf } from '../permissions/dialects/index.js'
import type { ResolvedGrantRequest, WalletDialect } from '../permissions/dialects/types.js'
import { assertWalletEnforces, enforcedBy } from '../permissions/enforcement.js'
import { resolveGrant } from '../permissions/grantRequest.js'
import { narrowGrant } from '../permissions/narrow.js'
import { signerAddress } from '../permissions/signer.js'
import type { Grant, GrantRequest, Signer } from '../permissions/types.js'
import type { MethodContext } from '../methods/types.js'
import { walletAccounts, walletChainId } from '../walletState.js'
import type { KeyStore, Session } from './types.js'

/** The two methods apps grant with. */
export type GrantMethod = 'wallet_grantPermissions' | 'wallet_requestExecutionPermissions'

/**
 * The whole grant: parse and check the app's request (any dialect), make or find the
 * session key, forward the grant in the wallet's dialect, keep what was granted, and
 * answer in the app's dialect. All or nothing: a rejected or failed grant stores no
 * session and discards the keys it made; a grant the wallet made but the store could
 * not keep is revoked at the wallet and reported with its context.
 */
export async function grant(method: GrantMethod, params: unknown, context: MethodContext): Promise<unknown> {
  const { options, store } = context
  const app = appDialectOf(method, params)
  const drafts = app.parse(params, { now: context.now(), mode: options.expiryMode, maxExpiry: options.maxExpiry })
  // Wallets handle one grant at a time (MetaMask answers a second with -32002).
  return context.serialize(async () => {
    const [chainId, accounts] = await Promise.all([walletChainId(context.inner), walletAccounts(context.inner)])
    const wallet = { chainId, accounts }
    const requests = drafts.map((draft) => resolveGrant(draft, wallet, options.allow))
    if (options.requireWalletEnforcement) assertWalletEnforces(requests, options.wallet)
    const made: Address[] = []
    try {
      const signed = await Promise.all(requests.map((request) => assignSigner(request, store.keys, made)))
      const dialect = options.wallet
      const grants = await forward(dialect, signed.map((s) => s.request), context)
      const now = context.now()
      const sessions = grants.map((granted, i): Session => {
        const { request, keyAddress } = signed[i] as (typeof signed)[number]
        const narrowed = narrowGrant(request, granted)
        return {
          id: narrowed.context,
          chainId: request.chainId,
          account: request.account,
          signer: request.signer,
          keyAddress,
          expiry: narrowed.expiry,
          permissions: narrowed.permissions,
          policies: narrowed.policies,
          ...(request.adjustmentAllowed === undefined ? {} : { adjustmentAllowed: request.adjustmentAllowed }),
          usage: { calls: 0, native: 0n, spent: {} },
          status: 'active',
          wallet: dialect.name,
          enforcedBy: enforcedBy(dialect.enforces),
          walletData: narrowed.walletData,
          createdAt: now,
        }
      })
      await keep(sessions, dialect, context)
      for (const session of sessions) context.emit('sessionGranted', session)
      return app.answer(sessions)
    } catch (error) {
      await Promise.allSettled(made.map((address) => store.keys.delete(address)))
      throw error
    }
  })
}

/**
 * The signer each grant goes out with. None given: a new key, made here and kept in the
 * store. Given as an address: a signing session if the store holds its key (the app
 * imported it), otherwise one the middleware lists and revokes but never signs for.
 */
async function assignSigner(request: GrantRequest, keys: KeyStore, made: Address[]) {
  if (request.signer === undefined) {
    const address = await keys.generate()
    made.push(address)
    return { request: { ...request, signer: { type: 'account', address } } as ResolvedGrantRequest, keyAddress: address }
  }
  const address = signerAddress(request.signer)
  const keyAddress = address !== undefined && (await keys.has(address)) ? address : undefined
  return { request: request as ResolvedGrantRequest, keyAddress }
}

/**
 * Sends the grants to the wallet in its dialect. Everything is encoded before anything is
 * sent, so a grant the wallet cannot express fails before the user sees a prompt. A
 * wallet that takes one grant per call gets them in turn; if one fails, those it already
 * granted are revoked.
 */
async function forward(dialect: WalletDialect, requests: readonly ResolvedGrantRequest[], context: MethodContext): Promise<Grant[]> {
  const codec = { now: context.now() }
  const batches = dialect.batches ? [requests] : requests.map((request) => [request])
  const encoded = batches.map((batch) => dialect.encode(batch, codec))
  const grants: Grant[] = []
  try {
    for (const [i, batch] of batches.entries()) {
      const result = await context.inner.request({ method: dialect.grantMethod, params: encoded[i] })
      grants.push(...decode(dialect, result, batch, codec))
    }
  } catch (error) {
    await revokeAtWallet(dialect, grants.map((granted, i) => ({ id: granted.context, signer: (requests[i] as ResolvedGrantRequest).signer })), context)
    throw error
  }
  return grants
}

function decode(dialect: WalletDialect, result: unknown, batch: readonly ResolvedGrantRequest[], codec: { now: number }): Grant[] {
  try {
    return dialect.decode(result, batch, codec)
  } catch (error) {
    // A malformed answer is the wallet's fault, not the app's: not a -32602 for the app.
    const message = error instanceof KeyleashError ? error.message : String(error)
    throw new InternalError(`the wallet's answer to ${dialect.grantMethod} is not a ${dialect.name} grant: ${message}`, { cause: causeOf(error) })
  }
}

/** Stores every session of a grant, or none: on a failure, those stored are removed and the grant revoked. */
async function keep(sessions: readonly Session[], dialect: WalletDialect, context: MethodContext): Promise<void> {
  const kept: Session[] = []
  try {
    for (const session of sessions) {
      await context.store.put(session)
      kept.push(session)
    }
  } catch (error) {
    await Promise.allSettled(kept.map((session) => context.store.delete(session.id)))
    const revoked = await revokeAtWallet(dialect, sessions, context)
    throw new InternalError(
      `the wallet granted, but the session store failed: ${error instanceof Error ? error.message : String(error)}; ${revoked ? 'the grant was revoked at the wallet' : 'revoke it at the wallet with its context'}`,
      { context: sessions.map((s) => s.id).join(','), contexts: sessions.map((s) => s.id), cause: causeOf(error) },
    )
  }
}

/** Best-effort revocation of grants made during a failed grant; resolves to whether all went through. */
async function revokeAtWallet(dialect: WalletDialect, grants: readonly { id: string; signer: Signer }[], context: MethodContext): Promise<boolean> {
  const results = await Promise.allSettled(
    grants.map((granted) => context.inner.request({ method: dialect.revokeMethod, params: dialect.encodeRevoke(granted) })),
  )
  return results.every((r) => r.status === 'fulfilled')
}
