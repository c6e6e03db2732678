import type { Address } from 'viem'
import { causeOf, codeOf, InternalError, KeyleashError, messageOf } from '../errors.js'
import { appDialectOf } from '../permissions/dialects/index.js'
import { grantedContexts } from '../permissions/dialects/grantedContexts.js'
import type { ResolvedGrantRequest, RevocableGrant, WalletDialect } from '../permissions/dialects/types.js'
import { enforcedBy } from '../permissions/enforcement.js'
import { checkedClock } from '../permissions/expiry.js'
import { resolveGrant } from '../permissions/grantRequest.js'
import { narrowGrant } from '../permissions/narrow.js'
import { signerAddress } from '../permissions/signer.js'
import type { Grant, GrantRequest, Signer } from '../permissions/types.js'
import type { MethodContext } from '../methods/types.js'
import { notConnected, walletAccounts, walletChainId } from '../walletState.js'
import type { P256Keys } from './p256Keys.js'
import type { KeyStore, Session, SessionStore } from './types.js'
import { assertWalletTakesKeys } from './walletKeyTypes.js'
import { revokeAtWallet } from './revokeAtWallet.js'

/** The two methods apps grant with. */
export type GrantMethod = 'wallet_grantPermissions' | 'wallet_requestExecutionPermissions'

/**
 * The whole grant: parse and check the app's request (any dialect), make or find the
 * session key, forward the grant in the wallet's dialect, keep what was granted, and
 * answer in the app's dialect. All or nothing: a rejected or failed grant stores no
 * session and discards the keys it made. Nothing is left live: whenever the wallet granted
 * and keyleash does not keep the grant (an answer it cannot read, an expiry it refuses, a
 * context it already holds, a failing store), the grant is revoked at the wallet before the
 * app is answered, and the error says so (or that the revoke failed too, with the contexts in
 * `data.contexts` so the app can act). A context that names a session keyleash already holds
 * is never revoked there (it would end that session at the wallet): the error names it instead.
 */
export async function grant(method: GrantMethod, params: unknown, given: MethodContext): Promise<unknown> {
  // The app's clock, checked at each reading here: in milliseconds it would date sessions wallets read as never ending.
  const context: MethodContext = { ...given, now: checkedClock(given.now) }
  const { options, store } = context
  const app = appDialectOf(method, params, options.requests)
  // MetaMask's permission types are read, narrowed and written by its dialect's code, if it is the wallet's.
  const kinds = options.wallet.permissionKinds
  const drafts = app.parse(params, { now: context.now(), mode: options.expiryMode, maxExpiry: options.maxExpiry }, kinds)
  // Wallets handle one grant at a time (MetaMask answers a second with -32002).
  return context.serialize(async () => {
    const dialect = options.wallet
    const [chainId, accounts] = await Promise.all([walletChainId(context.inner), walletAccounts(context.inner)])
    // A wallet that grants by its own steps grants on accounts its connected account administers
    // (a smart account owned by an EOA wallet): the provider's `account` option names them.
    const wallet = { chainId, accounts: dialect.grant && options.account ? options.account : accounts }
    const requests = drafts.map((draft) => resolveGrant(draft, wallet, options.allow))
    options.requireWalletEnforcement?.assert(requests, dialect)
    await assertWalletTakesKeys(requests, options.keyType?.keyType ?? 'secp256k1', context.inner, dialect, chainId)
    const made: Address[] = []
    // What the wallet has granted so far, read from its answers as soon as they arrive.
    const granted: RevocableGrant[] = []
    // The ids this grant stored: never a session keyleash held before it (`put` refuses those).
    const stored: string[] = []
    try {
      const signed = await allSettledOrThrow(requests.map((request) => assignSigner(request, store.keys, made, options.keyType)))
      const grants = await forward(dialect, signed.map((s) => s.request), context, granted, { chainId, owner: accounts[0] })
      const now = context.now()
      const sessions = grants.map((answer, i): Session => {
        const { request, keyAddress } = signed[i] as (typeof signed)[number]
        const narrowed = narrowGrant(request, answer, kinds)
        assertKeepable(narrowed, now, dialect)
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
          enforcedBy: enforcedBy(dialect.enforcesFor?.(request) ?? dialect.enforces),
          walletData: narrowed.walletData,
          ...(Object.keys(options.signing).length === 0 ? {} : { signing: options.signing }),
          createdAt: now,
        }
      })
      const answer = app.answer(sessions, kinds)
      await keep(sessions, made, stored, context)
      for (const session of sessions) context.emit('sessionGranted', session)
      return answer
    } catch (error) {
      await Promise.allSettled(made.map((address) => store.keys.delete(address)))
      if (granted.length === 0) throw error
      throw await revokedAtWallet(error, dialect, granted, stored, context)
    }
  })
}

/**
 * The signer each grant goes out with. None given: a new key of `keyType`, made here and kept
 * in the store, offered as an `account` (secp256k1) or as a `secp256r1` `key` by its point
 * (P-256, which has no address to sign as). Given as an address: a signing session if the
 * store holds its key (the app imported it), otherwise one the middleware lists and revokes
 * but never signs for.
 */
async function assignSigner(request: GrantRequest, keys: KeyStore, made: Address[], keyType: P256Keys | undefined) {
  if (request.signer === undefined) {
    const address = await keys.generate(keyType)
    made.push(address)
    const key = keyType && (await keys.signer(address))
    const signer: Signer = key?.type === 'p256' ? { type: 'key', key: { keyType: 'secp256r1', publicKey: key.publicKey } } : { type: 'account', address }
    return { request: { ...request, signer } as ResolvedGrantRequest, keyAddress: address }
  }
  const address = signerAddress(request.signer)
  const keyAddress = address !== undefined && (await keys.has(address)) ? address : undefined
  return { request: request as ResolvedGrantRequest, keyAddress }
}

/**
 * `Promise.all` that waits for every promise before it rejects with the first failure: a key
 * still being made when another request's key fails lands in `made` before the cleanup reads it.
 */
async function allSettledOrThrow<T>(promises: readonly Promise<T>[]): Promise<T[]> {
  const results = await Promise.allSettled(promises)
  const failed = results.find((result): result is PromiseRejectedResult => result.status === 'rejected')
  if (failed) throw failed.reason
  return results.map((result) => (result as PromiseFulfilledResult<T>).value)
}

/**
 * Sends the grants to the wallet in its dialect. Everything is encoded before anything is
 * sent, so a grant the wallet cannot express fails before the user sees a prompt. A
 * wallet that takes one grant per call gets them in turn. Each answer is read for what it
 * granted (into `granted`, leniently: the dialect's `granted`) before it is decoded, so an
 * answer `decode` refuses is still revoked. A dialect with its own `grant` (an account that
 * speaks no ERC-7715) is called instead of the wallet's method, and reports into `granted`
 * itself, as each grant goes live.
 */
async function forward(
  dialect: WalletDialect,
  requests: readonly ResolvedGrantRequest[],
  context: MethodContext,
  granted: RevocableGrant[],
  wallet: { chainId: number; owner: Address | undefined },
): Promise<Grant[]> {
  const codec = { now: context.now() }
  const batches = dialect.batches ? [requests] : requests.map((request) => [request])
  const encoded = batches.map((batch) => dialect.encode(batch, codec))
  const grants: Grant[] = []
  for (const [i, batch] of batches.entries()) {
    const params = encoded[i] as unknown[]
    let result: unknown
    if (dialect.grant) {
      // The dialect reports what goes live as it does: its answer names nothing more.
      // The chain and connected account the grant just read: asked again, they could only cost a round trip.
      if (wallet.owner === undefined) throw notConnected()
      const call = { inner: context.inner, chainId: wallet.chainId, owner: wallet.owner, now: context.now() }
      result = await dialect.grant(batch, { ...call, params, live: (grant) => void granted.push(grant) })
    } else {
      result = await context.inner.request({ method: dialect.grantMethod, params })
      granted.push(...revocable(dialect, result, batch))
    }
    grants.push(...decode(dialect, result, batch, codec))
  }
  return grants
}

// A dialect's reader must not throw; one that does (an app's own dialect) names nothing.
function revocable(dialect: WalletDialect, result: unknown, batch: readonly ResolvedGrantRequest[]): RevocableGrant[] {
  try {
    return (dialect.granted ?? grantedContexts)(result, batch)
  } catch {
    return []
  }
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

/** A grant keyleash can keep ends at a whole second in the future: NaN, 0 or a past expiry would never (or always) expire. */
function assertKeepable(grant: Grant, now: number, dialect: WalletDialect): void {
  if (!Number.isSafeInteger(grant.expiry) || grant.expiry <= now)
    throw new InternalError(
      `the wallet's answer to ${dialect.grantMethod} grants an expiry keyleash cannot keep (${String(grant.expiry)}): it must be whole UNIX seconds after ${now}`,
      { context: grant.context },
    )
}

/**
 * Stores every session of a grant, or none: on a failure, those stored by this grant are removed,
 * and only the keys this grant made (`made`) go with them, which the grant's own cleanup deletes.
 * `stored` (empty when called) gets each session's id as it is stored.
 */
async function keep(sessions: readonly Session[], made: readonly Address[], stored: string[], context: MethodContext): Promise<void> {
  try {
    for (const session of sessions) {
      await context.store.put(session)
      stored.push(session.id)
    }
  } catch (error) {
    // Stored in order: the first `stored.length` of them.
    await Promise.allSettled(sessions.slice(0, stored.length).map((session) => unkeep(session, made, context.store)))
    const reason = (error as { data?: { reason?: unknown } }).data?.reason === 'duplicate' ? 'it names a session keyleash already holds' : 'the session store failed'
    throw new InternalError(`the wallet granted, but ${reason}: ${error instanceof Error ? error.message : String(error)}`, { cause: causeOf(error) })
  }
}

/**
 * Removes a session this grant stored, without the key the app imported for it: `delete` takes a
 * session's key along (unless another session uses it), and the app's retry needs that key,
 * which keyleash cannot import again. So the key is first taken off the session; a session the
 * store cannot take it off stays stored rather than lose the key.
 */
async function unkeep(session: Session, made: readonly Address[], store: SessionStore): Promise<void> {
  const { keyAddress } = session
  const imported = keyAddress !== undefined && !made.some((address) => address.toLowerCase() === keyAddress.toLowerCase())
  if (imported) await store.update(session.id, (stored) => ({ ...stored, keyAddress: undefined }))
  await store.delete(session.id)
}

/**
 * Revokes at the wallet what it granted during a grant keyleash did not keep, and turns `error`
 * into one that says so: the same code, the contexts revoked in `data.contexts`, and whether the
 * revoke went through. A context that names a session keyleash already holds (a wallet that
 * answered it again) is left live there, in `data.held`: revoking it would end, at the wallet, a
 * session keyleash still lists as active. `stored` are this grant's own ids, never held.
 */
async function revokedAtWallet(
  error: unknown,
  dialect: WalletDialect,
  granted: readonly RevocableGrant[],
  stored: readonly string[],
  context: MethodContext,
): Promise<KeyleashError> {
  const held = await heldContexts(granted, stored, context.store)
  const revoking = granted.filter((grant) => !held.includes(grant.id))
  const failed = await allSettledOrThrow(revoking.map((grant) => Promise.resolve().then(() => revokeAtWallet(dialect, grant, context)))).then(
    () => undefined,
    (reason: unknown) => ({ reason }),
  )
  const contexts = revoking.map((grant) => grant.id)
  const outcome =
    revoking.length === 0
      ? ''
      : failed
        ? `; revoking the grant at the wallet failed too (${messageOf(failed.reason)}): revoke ${contexts.join(', ')} there`
        : '; the grant was revoked at the wallet'
  const kept = held.length === 0 ? '' : `; not revoked at the wallet, where it would end the session keyleash holds: ${held.join(', ')}`
  const data: Record<string, unknown> = (error as { data?: Record<string, unknown> } | null)?.data ?? {}
  return new KeyleashError(codeOf(error), messageOf(error) + outcome + kept, {
    ...data,
    context: granted.map((grant) => grant.id).join(','),
    contexts,
    ...(held.length === 0 ? {} : { held }),
    revoked: failed === undefined,
    // What went wrong first: the cause the error already carried, or the error itself.
    cause: data.cause ?? causeOf(error),
  })
}

/**
 * The granted contexts that name a session keyleash holds, not revoked and not stored by this
 * grant. A store that cannot be read holds none: the grant is revoked, as nothing is left live.
 */
async function heldContexts(granted: readonly RevocableGrant[], stored: readonly string[], store: SessionStore): Promise<string[]> {
  const found = await Promise.allSettled(
    granted.filter((grant) => !stored.includes(grant.id)).map(async (grant) => ((await store.get(grant.id))?.status === 'active' ? grant.id : undefined)),
  )
  return found.flatMap((result) => (result.status === 'fulfilled' && result.value !== undefined ? [result.value] : []))
}
