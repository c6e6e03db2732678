import { connect, createConfig, disconnect, getConnection, http, injected } from '@wagmi/core'
import { defineChain } from 'viem'
import { afterAll, beforeAll, expect, test, vi } from 'vitest'
import { type DevWallet, createDevWallet } from '../../src/devwallet/wallet.js'
import { withSessionKeys } from '../../src/provider.js'
import { useSharedChain } from '../utils/chain.js'

/*
 * What keyleash hands an app as a provider fits wagmi's `injected({ target })` as it is: the
 * lines that build the connectors type-check only if each provider's type does (`npx tsc`, run
 * before every commit and in CI), and each connects.
 */

const { rpcUrl } = useSharedChain()
const anvil = defineChain({ id: 31337, name: 'anvil', nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 }, rpcUrls: { default: { http: [rpcUrl] } } })
let wallet: DevWallet

beforeAll(async () => {
  // wagmi's injected connector looks for a `window`; the providers are handed to it directly.
  vi.stubGlobal('window', new EventTarget())
  wallet = await createDevWallet({ rpcUrl })
}, 30_000)
afterAll(async () => {
  vi.unstubAllGlobals()
  await wallet.close()
})

test.each([
  ['withSessionKeys(provider), a KeyleashProvider', () => withSessionKeys(wallet.provider)],
  ["the dev wallet's provider, a DevWalletProvider", () => wallet.provider],
])('behavior: %s is a target of wagmi\'s injected connector, and connects', async (_, provider) => {
  const config = createConfig({
    chains: [anvil],
    connectors: [injected({ target: () => ({ id: 'embedded', name: 'Embedded wallet', provider: provider() }) })],
    transports: { [anvil.id]: http(rpcUrl) },
  })
  const { accounts } = await connect(config, { connector: config.connectors[0]! })
  expect(accounts).toStrictEqual([wallet.account])
  expect(getConnection(config).status).toBe('connected')
  await disconnect(config)
})
