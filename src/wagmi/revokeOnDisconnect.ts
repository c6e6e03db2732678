import { InvalidParamsError } from '../errors.js'
import type { KeyleashProvider } from '../provider.js'
import type { KeyleashRequest } from '../rpcSchema.js'
import type { RequestArguments } from '../types.js'

/** Options of {@link revokeOnDisconnect}. */
export type RevokeOnDisconnectOptions = {
  /**
   * Called once per session that could not be revoked when the wallet reported no account,
   * with the error and the session's id (the permissions context). The session is tried again
   * at the next disconnect. Default: a `console.warn` of the message.
   */
  onError?: ((error: unknown, context: string) => void) | undefined
}

/**
 * The same provider (not a copy), plus: when its wallet reports no account at all (`accountsChanged([])`:
 * the user logged out of the embedded wallet, or disconnected it), every active session of an
 * account it had connected is revoked, so no call is signed for an account the wallet no
 * longer serves. Revocation goes through `provider.sessions.revoke(id, { wallet: false })`:
 * the session is marked revoked and its key deleted here, and the wallet, which has just
 * logged out, is not asked (it would only prompt a user who is gone).
 *
 * The sessions are those of the accounts the wallet connected (read while it still had them:
 * when an `eth_accounts` / `eth_requestAccounts` answer or `accountsChanged` names a new one),
 * and those granted through this provider. Each disconnect is handled on its own and each
 * session too: one that fails is reported to `onError` and tried again at the next
 * disconnect; it never stops the others, nor later disconnects.
 *
 * @example
 * const provider = revokeOnDisconnect(withSessionKeys(embeddedWallet), { onError: (error, context) => log.warn(context, error) })
 * embeddedWallet.emit('accountsChanged', []) // the sessions of the account it had are revoked
 */
export function revokeOnDisconnect(provider: KeyleashProvider, options: RevokeOnDisconnectOptions = {}): KeyleashProvider {
  const onError = options.onError ?? warn
  const known = new Set<string>()
  // The active sessions of the accounts the wallet has connected: the ones a logout ends.
  const live = new Set<string>()
  // Reads and disconnects one after the other, so a logout waits for the reads before it and
  // two `[]` in a row do not revoke a session twice at once; every step settles, so one
  // failure never stops the ones after it.
  let queue: Promise<void> = Promise.resolve()
  const remember = (accounts: unknown): void => {
    if (!Array.isArray(accounts)) return
    const fresh = accounts.filter((account): account is string => typeof account === 'string' && !known.has(account.toLowerCase()))
    if (fresh.length === 0) return
    for (const account of fresh) known.add(account.toLowerCase())
    // Read now, while the wallet still names the account: once it logs out, it names none.
    queue = queue.then(() =>
      provider.sessions.list({ status: 'active' }).then((sessions) => {
        for (const session of sessions) live.add(session.id)
      }, ignore),
    )
  }

  provider.on('accountsChanged', (accounts) => {
    remember(accounts)
    if (accounts.length > 0) return
    queue = queue.then(() => revokeAll(provider, live, onError))
  })
  provider.on('sessionGranted', (session) => {
    live.add(session.id)
    remember([session.account])
  })

  // The same provider, its `request` watched for the accounts the wallet answers: every event
  // method stays the provider's own, so listeners added before or after are the same ones.
  const request = provider.request.bind(provider)
  provider.request = ((args: RequestArguments) => {
    const result = request(args)
    if (args.method === 'eth_accounts' || args.method === 'eth_requestAccounts') result.then(remember, ignore)
    return result
  }) as KeyleashRequest
  return provider
}

/** Revokes every session of `live`, each on its own; those revoked leave the set, the others stay for the next try. */
async function revokeAll(provider: KeyleashProvider, live: Set<string>, onError: (error: unknown, context: string) => void): Promise<void> {
  for (const id of [...live]) {
    try {
      await provider.sessions.revoke(id, { wallet: false })
      live.delete(id)
    } catch (error) {
      // A session no longer in the store (purged, or deleted by another provider) has nothing to revoke.
      if ((error as { code?: unknown })?.code === InvalidParamsError.code) {
        live.delete(id)
        continue
      }
      try {
        onError(error, id)
      } catch {
        // An app handler that throws must not stop the sessions after this one.
      }
    }
  }
}

function warn(error: unknown, context: string): void {
  console.warn(`keyleash: the session ${context} could not be revoked on disconnect: ${error instanceof Error ? error.message : String(error)}`)
}

function ignore(): void {}
