import { type Address, createPublicClient, createWalletClient, custom, http, toFunctionSelector } from 'viem'
import { generatePrivateKey } from 'viem/accounts'
import { anvil } from 'viem/chains'
import { type GrantPermissionsParameters, erc7715Actions } from 'viem/experimental'
import { beforeAll, beforeEach, describe, expect, test } from 'vitest'
import { sessionAccountAbi } from '../../src/devwallet/artifacts.js'
import { type DevWalletDialectName, devWalletDialects } from '../../src/devwallet/dialects.js'
import { type DevWallet, createDevWallet } from '../../src/devwallet/wallet.js'
import { withSessionKeys } from '../../src/provider.js'
import { rejectionOf as rejection } from '../utils/rejection.js'
import { useSharedChain } from '../utils/chain.js'

/*
 * The whole grant flow, app → keyleash → a wallet that really speaks each dialect → chain:
 * what the app is told it was granted is what the SessionAccount enforces.
 */

const { rpcUrl, testClient } = useSharedChain()
const publicClient = createPublicClient({ chain: anvil, transport: http(rpcUrl), pollingInterval: 10 })
const mint = toFunctionSelector('mint(address)')
const day = 60 * 60 * 24

type Policies = GrantPermissionsParameters['permissions'][number]['policies']

let approving = true
let nftContracts: DevWallet['contracts'] | undefined
// The chain's clock may have been moved by other files: the middleware reads the same clock
// as the account that enforces the expiry.
let clockOffset = 0

beforeAll(async () => {
  // The latest block is as old as the snapshot the last file reverted to: mine one to read the clock.
  await testClient.mine({ blocks: 1 })
  clockOffset = Number((await publicClient.getBlock()).timestamp) - Math.floor(Date.now() / 1000)
})

beforeEach(() => {
  approving = true
})

describe.each(['erc7715', 'erc7715-2025', 'execution-permissions'] as const)('through keyleash to a %s wallet', (dialect: DevWalletDialectName) => {
  let wallet: DevWallet

  beforeAll(async () => {
    wallet = await createDevWallet({ rpcUrl, dialect, approve: () => approving, ...(nftContracts ? { contracts: nftContracts } : {}) })
    nftContracts ??= wallet.contracts
  }, 30_000)

  function setup() {
    const provider = withSessionKeys(wallet.provider, { wallet: devWalletDialects[dialect], now: () => Math.floor(Date.now() / 1000) + clockOffset })
    const client = createWalletClient({ transport: custom(provider) }).extend(erc7715Actions())
    return { provider, client }
  }

  /** The seed's request, word for word, with an app-made key. */
  async function seedGrant(provider: ReturnType<typeof setup>['provider'], policies: Policies = []) {
    const key = await provider.sessions.importKey(generatePrivateKey())
    const request = {
      expiry: day,
      signer: { type: 'account' as const, data: { id: key } },
      permissions: [{ type: 'contract-call' as const, data: { address: wallet.contracts.nft, calls: ['mint(address)'] }, policies }],
    }
    return { key, request }
  }

  function onChain(key: Address) {
    return publicClient.readContract({ address: wallet.account, abi: sessionAccountAbi, functionName: 'getSession', args: [key] })
  }

  test('default: the seed\'s grant lands on-chain with exactly the granted scope, after one prompt', async () => {
    const { provider, client } = setup()
    const { key, request } = await seedGrant(provider)
    const prompts = wallet.prompts
    const granted = await client.grantPermissions(request)

    expect(wallet.prompts - prompts).toBe(1)
    expect(granted.grantedPermissions).toStrictEqual([{ type: 'contract-call', data: { address: wallet.contracts.nft, calls: [mint] }, policies: [], required: true }])
    const session = await onChain(key)
    expect(session).toMatchObject({
      exists: true,
      revoked: false,
      callLimit: 0,
      nativeAllowance: 0n,
      scopes: [{ target: wallet.contracts.nft, selector: mint }],
      tokens: [],
    })
    expect(session.validUntil).toBe(granted.expiry)
    const [stored] = await provider.sessions.list()
    expect(stored).toMatchObject({ id: granted.permissionsContext, keyAddress: key, status: 'active', wallet: dialect })
  })

  test('error: a rejected prompt (4001) leaves nothing on-chain and nothing in sessions.list()', async () => {
    const { provider, client } = setup()
    const { key, request } = await seedGrant(provider)
    approving = false
    const block = await publicClient.getBlockNumber()
    expect(await rejection(client.grantPermissions(request))).toMatchObject({ code: 4001 })
    expect((await onChain(key)).exists).toBe(false)
    expect(await publicClient.getBlockNumber()).toBe(block)
    expect(await provider.sessions.list()).toStrictEqual([])
  })

  test('default: a revoke through keyleash is visible on-chain', async () => {
    const { provider, client } = setup()
    const { key, request } = await seedGrant(provider)
    const { permissionsContext } = await client.grantPermissions(request)
    await provider.sessions.revoke(permissionsContext)
    expect((await onChain(key)).revoked).toBe(true)
    expect((await provider.sessions.get(permissionsContext))?.status).toBe('revoked')
  })

  test('behavior: a call-limit reaches the account where the dialect can carry it, and is refused (-32602) before any prompt where it cannot', async () => {
    const { provider, client } = setup()
    // viem flattens `{ custom: 'call-limit' }` to the string on the wire; keyleash re-encodes it per wallet.
    const { key, request } = await seedGrant(provider, [{ type: { custom: 'call-limit' }, data: { count: 3 } }])
    const prompts = wallet.prompts
    if (dialect === 'erc7715') {
      await client.grantPermissions(request)
      expect((await onChain(key)).callLimit).toBe(3)
    } else {
      expect(await rejection(client.grantPermissions(request))).toMatchObject({ code: -32602, message: expect.stringContaining('cannot carry a call-limit policy') })
      expect(wallet.prompts).toBe(prompts)
      expect((await onChain(key)).exists).toBe(false)
    }
  })
})
