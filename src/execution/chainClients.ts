import { type PublicClient, type Transport, createPublicClient, custom, defineChain } from 'viem'
import type { Eip1193Provider } from '../types.js'

/**
 * A viem chain and a reader for `chainId`: through `transport` when the app gave one, otherwise
 * through the wrapped wallet (which passes reads to its node). For the parts of `keyleash/wallets`
 * that read the chain and send from a relayer themselves.
 *
 * @example
 * const { reader } = chainClients(inner, 31337, undefined)
 * await reader.getBlockNumber()
 */
export function chainClients(inner: Eip1193Provider, chainId: number, transport: Transport | undefined, pollingInterval = 100) {
  const chain = defineChain({ id: chainId, name: `chain ${chainId}`, nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 }, rpcUrls: { default: { http: [] } } })
  const via = transport ?? custom(inner)
  return { chain, transport: via, reader: createPublicClient({ chain, transport: via, pollingInterval }) as PublicClient }
}
