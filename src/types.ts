import type { KeyleashProvider } from './provider.js'

/** One EIP-1193 request. */
export type RequestArguments = {
  readonly method: string
  readonly params?: unknown
}

/** The events an EIP-1193 provider emits, passed through as they are. */
export const providerEvents = ['connect', 'disconnect', 'chainChanged', 'accountsChanged', 'message'] as const
export type ProviderEventName = (typeof providerEvents)[number]

/**
 * Any EIP-1193 provider: an embedded wallet, `window.ethereum`, a wagmi connector's
 * provider, or the dev wallet. Only `request` is required: this is what keyleash takes. What it
 * gives back ({@link KeyleashProvider}, the dev wallets' providers) also has `on` and
 * `removeListener`, so it fits wagmi's `injected({ target })`, which needs both.
 *
 * @example
 * const inner: Eip1193Provider = { request: async ({ method }) => (method === 'eth_chainId' ? '0x7a69' : null) }
 * const provider = withSessionKeys(inner)
 */
export type Eip1193Provider = {
  /** Sends one JSON-RPC request; rejects with a coded error. */
  request(args: RequestArguments): Promise<unknown>
  /** Adds a listener of an EIP-1193 event (`accountsChanged`, `chainChanged`, …). */
  on?(event: string, listener: (...args: any[]) => void): unknown
  /** Removes a listener added with `on`. */
  removeListener?(event: string, listener: (...args: any[]) => void): unknown
}
