import {
  type Config,
  connect,
  createConfig,
  disconnect,
  getConnection,
  getConnectorClient,
  http,
  injected,
  sendCalls,
  waitForCallsStatus,
} from '@wagmi/core'
import { type Address, createPublicClient, defineChain, UnauthorizedProviderError } from 'viem'
import { erc7715Actions } from 'viem/experimental'
import { afterAll, beforeAll, beforeEach, describe, expect, test, vi } from 'vitest'
import { demoNftAbi, sessionAccountAbi } from '../../src/devwallet/artifacts.js'
import { type DevWallet, createDevWallet } from '../../src/devwallet/wallet.js'
import type { RequestArguments } from '../../src/types.js'
import { memoryStore } from '../../src/sessions/memoryStore.js'
import type { SessionStore } from '../../src/sessions/types.js'
import { type RevokeOnDisconnectOptions, withSessionKeysConnector } from '../../src/wagmi.js'
import { useSharedChain } from '../utils/chain.js'

/*
 * keyleash inside wagmi (`@wagmi/core`, the library under wagmi's React hooks): the injected
 * connector over the dev wallet, bare and wrapped, must behave alike for everything wagmi does
 * (connect, accounts, chain, disconnect); wrapped, it also grants and uses sessions.
 */

const { rpcUrl } = useSharedChain()
const nativeCurrency = { name: 'Ether', symbol: 'ETH', decimals: 18 }
const anvil = defineChain({ id: 31337, name: 'anvil', nativeCurrency, rpcUrls: { default: { http: [rpcUrl] } } })
const other = defineChain({ id: 1337, name: 'other', nativeCurrency, rpcUrls: { default: { http: [rpcUrl] } } })
const publicClient = createPublicClient({ chain: anvil, transport: http(rpcUrl), pollingInterval: 10 })
const stranger: Address = '0x00000000000000000000000000000000000000AA'

let wallet: DevWallet
let clockOffset = 0

// wagmi's injected connector finds no provider without a `window`; the dev wallet is handed
// to it as its target, so an empty one is enough.
beforeAll(async () => {
  vi.stubGlobal('window', {})
  clockOffset = Number((await publicClient.getBlock()).timestamp) - Math.floor(Date.now() / 1000)
  wallet = await createDevWallet({ rpcUrl })
}, 30_000)
afterAll(() => {
  vi.unstubAllGlobals()
})

/**
 * The dev wallet as an embedded wallet the user can log out of: every request is logged (to see
 * what reaches the wallet, and how), and after `logOut()` it has no account, as it says with
 * `accountsChanged([])`.
 */
function embeddedWallet() {
  const requests: RequestArguments[] = []
  let loggedOut = false
  const provider = {
    async request(args: RequestArguments) {
      requests.push(args)
      if (loggedOut && (args.method === 'eth_accounts' || args.method === 'eth_requestAccounts')) return []
      return wallet.provider.request(args)
    },
    on(event: string, listener: (...args: never[]) => void) {
      wallet.provider.on(event, listener as never)
      return provider
    },
    removeListener(event: string, listener: (...args: never[]) => void) {
      wallet.provider.removeListener(event, listener as never)
      return provider
    },
  }
  return {
    provider,
    requests,
    logOut() {
      loggedOut = true
      wallet.provider.emit('accountsChanged', [])
    },
  }
}

function setup(wrap: boolean, store: SessionStore = memoryStore(), onDisconnect?: RevokeOnDisconnectOptions) {
  const embedded = embeddedWallet()
  const bare = injected({ target: () => ({ id: 'devwallet', name: 'Dev wallet', provider: embedded.provider as never }) })
  const now = () => Math.floor(Date.now() / 1000) + clockOffset
  const connector = wrap ? withSessionKeysConnector(bare, { now, store, revokeOnDisconnect: onDisconnect }) : bare
  const config = createConfig({
    chains: [anvil, other],
    connectors: [connector],
    transports: { [anvil.id]: http(rpcUrl), [other.id]: http(rpcUrl) },
    multiInjectedProviderDiscovery: false,
    storage: null,
  })
  const [first] = config.connectors
  if (first === undefined) throw new Error('no connector')
  return { config, connector: first, embedded, store }
}

describe.each([
  ['bare', false],
  ['wrapped with keyleash', true],
] as const)('the injected connector, %s', (_, wrap) => {
  let config: Config
  let connector: ReturnType<typeof setup>['connector']
  let embedded: ReturnType<typeof embeddedWallet>

  beforeEach(() => {
    ;({ config, connector, embedded } = setup(wrap))
  })

  test('default: connect gives the wallet\'s account and chain, and getConnection reports them', async () => {
    const result = await connect(config, { connector })
    expect(result).toMatchObject({ accounts: [wallet.account], chainId: anvil.id })
    expect(getConnection(config)).toMatchObject({ status: 'connected', address: wallet.account, chainId: anvil.id })
  })

  test('behavior: the wallet\'s accountsChanged and chainChanged reach wagmi', async () => {
    await connect(config, { connector })
    wallet.provider.emit('accountsChanged', [stranger, wallet.account])
    await vi.waitFor(() => expect(getConnection(config).address).toBe(stranger))
    wallet.provider.emit('chainChanged', '0x539')
    await vi.waitFor(() => expect(getConnection(config).chainId).toBe(other.id))
    wallet.provider.emit('accountsChanged', [wallet.account])
    wallet.provider.emit('chainChanged', '0x7a69')
    await vi.waitFor(() => expect(getConnection(config)).toMatchObject({ address: wallet.account, chainId: anvil.id }))
  })

  test('behavior: disconnect() sends wallet_revokePermissions [{ eth_accounts: {} }] to the wallet untouched', async () => {
    await connect(config, { connector })
    await disconnect(config)
    expect(getConnection(config).status).toBe('disconnected')
    expect(embedded.requests.filter((r) => r.method === 'wallet_revokePermissions')).toStrictEqual([{ method: 'wallet_revokePermissions', params: [{ eth_accounts: {} }] }])
  })

  test('behavior: the wallet logging out (accountsChanged([])) disconnects wagmi', async () => {
    await connect(config, { connector })
    embedded.logOut()
    await vi.waitFor(() => expect(getConnection(config).status).toBe('disconnected'))
  })
})

describe('sessions through the wrapped connector', () => {
  const mint = () => ({ to: wallet.contracts.nft, abi: demoNftAbi, functionName: 'mint', args: [wallet.account] }) as const

  async function connectedWithSession(store?: SessionStore, onDisconnect?: RevokeOnDisconnectOptions) {
    const { config, connector, embedded, store: used } = setup(true, store, onDisconnect)
    await connect(config, { connector })
    const client = (await getConnectorClient(config)).extend(erc7715Actions())
    const { permissionsContext: context } = await client.grantPermissions({
      expiry: 60 * 60,
      permissions: [{ type: 'contract-call', data: { address: wallet.contracts.nft, calls: ['mint(address)'] }, policies: [] }],
    })
    const provider = await connector.getProvider()
    if (provider === undefined || !('sessions' in provider)) throw new Error('the wrapped connector has no keyleash provider')
    return { config, connector, embedded, provider, context, store: used }
  }

  test('default: getProvider() is keyleash over the wallet, wrapped once: the same object every time', async () => {
    const { connector, provider } = await connectedWithSession()
    expect(await connector.getProvider()).toBe(provider)
    expect(await connector.getProvider({ chainId: anvil.id })).toBe(provider)
    expect(provider).toHaveProperty('sessions')
  })

  test('default: wagmi sendCalls with the permissions context is signed by the session key: mined, no prompt', async () => {
    const { config, embedded, context } = await connectedWithSession()
    const prompts = wallet.prompts
    const { id } = await sendCalls(config, { calls: [mint()], capabilities: { permissions: { context } } })
    expect(await waitForCallsStatus(config, { id, pollingInterval: 10 })).toMatchObject({ status: 'success' })
    expect(wallet.prompts).toBe(prompts)
    expect(await publicClient.readContract({ address: wallet.contracts.nft, abi: demoNftAbi, functionName: 'balanceOf', args: [wallet.account] })).toBe(1n)
    // The wallet prepared and relayed; it was never asked to send the calls as the owner.
    expect(embedded.requests.map((r) => r.method)).toContain('wallet_prepareCalls')
    expect(embedded.requests.map((r) => r.method)).not.toContain('wallet_sendCalls')
  })

  test('behavior: wagmi\'s disconnect() keeps the sessions: the wallet still holds the account', async () => {
    const { config, provider, context } = await connectedWithSession()
    await disconnect(config)
    expect((await provider.sessions.get(context))?.status).toBe('active')
  })

  test('behavior: the wallet logging out (accountsChanged([])) revokes the sessions of its account, which then sign nothing', async () => {
    const { config, embedded, provider, context, store } = await connectedWithSession()
    const key = (await provider.sessions.get(context))?.keyAddress
    embedded.logOut()
    await vi.waitFor(() => expect(getConnection(config).status).toBe('disconnected'))
    // A provider whose wallet names no account sees no session: read the store itself.
    await vi.waitFor(async () => expect((await store.get(context))?.status).toBe('revoked'))
    // Ended here, key deleted; the wallet that logged out is not asked (it would prompt nobody).
    expect(await store.keys.has(key!)).toBe(false)
    expect(await provider.sessions.list()).toStrictEqual([])
    expect((await publicClient.readContract({ address: wallet.account, abi: sessionAccountAbi, functionName: 'getSession', args: [key!] })).revoked).toBe(false)
    const refused = await provider
      .request({ method: 'wallet_sendCalls', params: [{ version: '2.0.0', chainId: '0x7a69', atomicRequired: true, calls: [{ to: wallet.contracts.nft, data: '0x6a627842' }], capabilities: { permissions: { context } } }] })
      .catch((e: unknown) => e)
    expect(refused).toMatchObject({ code: UnauthorizedProviderError.code })
  })

  test('behavior: a session the logout cannot revoke goes to the revokeOnDisconnect option\'s onError, with its id', async () => {
    const inner = memoryStore()
    let failing = false
    const store: SessionStore = { ...inner, update: (id, change) => (failing ? Promise.reject(new Error('disk full')) : inner.update(id, change)) }
    const failed: [string, string][] = []
    const { config, embedded, context } = await connectedWithSession(store, { onError: (error, id) => failed.push([(error as Error).message, id]) })
    failing = true
    embedded.logOut()
    await vi.waitFor(() => expect(getConnection(config).status).toBe('disconnected'))
    await vi.waitFor(() => expect(failed).toStrictEqual([[expect.stringContaining('disk full'), context]]))
    expect((await inner.get(context))?.status).toBe('active')
  })
})
