/**
 * `keyleash/wagmi`: session keys for any wagmi connector. wagmi is not imported at run time
 * (only its types), so it stays an optional peer and never enters the core bundle.
 *
 * @example
 * import { createConfig, http, injected } from '@wagmi/core'
 * import { withSessionKeysConnector } from 'keyleash/wagmi'
 *
 * const config = createConfig({ chains: [mainnet], connectors: [withSessionKeysConnector(injected())], transports: { [mainnet.id]: http() } })
 *
 * @module
 */
import type { CreateConnectorFn } from '@wagmi/core'
import type { KeyleashOptions } from './options.js'
import { type KeyleashProvider, withSessionKeys } from './provider.js'
import { memoryStore } from './sessions/memoryStore.js'
import type { Eip1193Provider } from './types.js'
import { type RevokeOnDisconnectOptions, revokeOnDisconnect } from './wagmi/revokeOnDisconnect.js'

export { revokeOnDisconnect } from './wagmi/revokeOnDisconnect.js'
export type { RevokeOnDisconnectOptions } from './wagmi/revokeOnDisconnect.js'

/** Options of {@link withSessionKeysConnector}: those of `withSessionKeys`, and what to do when a logout's revoke fails. */
export type WithSessionKeysConnectorOptions = KeyleashOptions & {
  /** Passed to {@link revokeOnDisconnect}: `onError` hears of each session a logout could not revoke. */
  revokeOnDisconnect?: RevokeOnDisconnectOptions | undefined
}

/**
 * Wraps a wagmi connector so that its provider is keyleash over the connector's own: grants
 * (`wallet_grantPermissions`, …) and calls under a permissions context go through the
 * middleware, everything else (connect, accounts, chain, events, wagmi's `disconnect()` revoke
 * `[{ eth_accounts: {} }]`) reaches the wallet as with the bare connector.
 *
 * - The connector's provider is wrapped once per provider object and cached, so every
 *   `getProvider()`, `getConnectorClient()` and action sees the same sessions; all providers of
 *   one connector share one store (`options.store`, or one `memoryStore()` per connector).
 * - When the wallet reports no account (`accountsChanged([])`), the sessions of the accounts it
 *   had are revoked (see {@link revokeOnDisconnect}). wagmi's own `disconnect()` keeps them: the
 *   wallet still holds the account, and a reconnect finds them again.
 * - A connector with no provider (`undefined`, e.g. no injected wallet) stays without one.
 *
 * @example
 * import { createConfig, http, injected, sendCalls } from '@wagmi/core'
 * import { withSessionKeysConnector } from 'keyleash/wagmi'
 * import { executionPermissions } from 'keyleash/wallets'
 *
 * const connector = withSessionKeysConnector(injected(), {
 *   wallet: executionPermissions,
 *   maxExpiry: 24 * 60 * 60,
 *   revokeOnDisconnect: { onError: (error, context) => log.warn(context, error) },
 * })
 * const config = createConfig({ chains: [base], connectors: [connector], transports: { [base.id]: http() } })
 * // … connect(config, { connector: config.connectors[0] }), grant through the connector's provider, then:
 * await sendCalls(config, { calls, capabilities: { permissions: { context } } })
 */
export function withSessionKeysConnector<
  provider,
  properties extends Record<string, unknown> = Record<string, unknown>,
  storageItem extends Record<string, unknown> = Record<string, unknown>,
>(connector: CreateConnectorFn<provider, properties, storageItem>, options: WithSessionKeysConnectorOptions = {}): CreateConnectorFn<KeyleashProvider | undefined, properties, storageItem> {
  const { revokeOnDisconnect: onDisconnect, ...keyleashOptions } = options
  return (config) => {
    const inner = connector(config)
    const store = keyleashOptions.store ?? memoryStore()
    // By the inner provider's identity: injected connectors return one object, mock-style
    // ones may make a new one per call (per chain); each gets one wrapper, all one store.
    const wrapped = new WeakMap<object, KeyleashProvider>()
    return {
      ...inner,
      async getProvider(parameters) {
        const provider: unknown = await inner.getProvider(parameters)
        if (provider === undefined || provider === null) return undefined
        let keyleash = wrapped.get(provider as object)
        if (keyleash === undefined) {
          keyleash = revokeOnDisconnect(withSessionKeys(provider as Eip1193Provider, { ...keyleashOptions, store }), onDisconnect)
          wrapped.set(provider as object, keyleash)
        }
        return keyleash
      },
    }
  }
}
