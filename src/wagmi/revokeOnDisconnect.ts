import type { Address } from 'viem'
import type { KeyleashProvider } from '../provider.js'
import type { RequestArguments } from '../types.js'

/**
 * The same provider (not a copy), plus: when its wallet reports no account at all (`accountsChanged([])`:
 * the user logged out of the embedded wallet, or disconnected it), every active session of an
 * account it had connected is revoked, so no call is signed for an account the wallet no
 * longer serves. Revocation goes through `provider.sessions.revoke(id, { wallet: false })`:
 * the key is deleted and the session marked revoked here, and the wallet, which has just
 * logged out, is not asked (it would only prompt a user who is gone).
 *
 * The accounts are those the wallet named: in `eth_accounts` / `eth_requestAccounts` answers,
 * in `accountsChanged`, and as the account of a session granted through this provider.
 *
 * @example
 * const provider = revokeOnDisconnect(withSessionKeys(embeddedWallet))
 * embeddedWallet.emit('accountsChanged', []) // the sessions of the account it had are revoked
 */
export function revokeOnDisconnect(provider: KeyleashProvider): KeyleashProvider {
  const known = new Set<string>()
  const remember = (accounts: unknown): void => {
    if (!Array.isArray(accounts)) return
    for (const account of accounts) if (typeof account === 'string') known.add(account.toLowerCase())
  }
  // One at a time, so two `[]` in a row do not revoke the same session twice at once.
  let revoking: Promise<void> = Promise.resolve()

  provider.on('accountsChanged', (accounts) => {
    remember(accounts)
    if (accounts.length > 0) return
    revoking = revoking.then(() => revokeAll(provider, [...known] as Address[]))
  })
  provider.on('sessionGranted', (session) => known.add(session.account.toLowerCase()))

  // The same provider, its `request` watched for the accounts the wallet answers: every event
  // method stays the provider's own, so listeners added before or after are the same ones.
  const request = provider.request.bind(provider)
  provider.request = (args: RequestArguments) => {
    const result = request(args)
    if (args.method === 'eth_accounts' || args.method === 'eth_requestAccounts') result.then(remember, ignore)
    return result
  }
  return provider
}

async function revokeAll(provider: KeyleashProvider, accounts: readonly Address[]): Promise<void> {
  for (const account of accounts) {
    for (const session of await provider.sessions.list({ account, status: 'active' })) {
      await provider.sessions.revoke(session.id, { wallet: false })
    }
  }
}

function ignore(): void {}
