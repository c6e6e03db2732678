import { type Address, createPublicClient, http } from 'viem'
import { anvil } from 'viem/chains'
import { beforeAll, describe, expect, test } from 'vitest'
import { sessionAccountAbi } from '../../src/devwallet/artifacts.js'
import { type DevWalletDialectName, devWalletDialects } from '../../src/devwallet/dialects.js'
import { type DevWallet, createDevWallet } from '../../src/devwallet/wallet.js'
import { withSessionKeys } from '../../src/provider.js'
import { memoryStore } from '../../src/sessions/memoryStore.js'
import type { RequestArguments } from '../../src/types.js'
import { rejectionOf } from '../utils/rejection.js'
import { useSharedChain } from '../utils/chain.js'

/*
 * Nothing left live, on the chain: the dev wallet really grants (the SessionAccount registers
 * the key), then keyleash refuses the answer, altered on its way back by a thin wrapper that
 * touches nothing else. The session must be revoked on chain before the app hears the error.
 */

const { rpcUrl, testClient } = useSharedChain()
const publicClient = createPublicClient({ chain: anvil, transport: http(rpcUrl), pollingInterval: 10 })
let clockOffset = 0
let contracts: DevWallet['contracts'] | undefined

beforeAll(async () => {
  await testClient.mine({ blocks: 1 })
  clockOffset = Number((await publicClient.getBlock()).timestamp) - Math.floor(Date.now() / 1000)
})

/** The dev wallet's provider, with only its answers to `grantMethod` passed through `alter`. */
function alteringGrants(wallet: DevWallet, grantMethod: string, alter: (answer: any) => unknown) {
  return {
    async request(args: RequestArguments) {
      const answer = await wallet.provider.request(args)
      return args.method === grantMethod ? alter(answer) : answer
    },
    on: wallet.provider.on.bind(wallet.provider),
    removeListener: wallet.provider.removeListener.bind(wallet.provider),
  }
}

const alterations: Record<DevWalletDialectName, [string, (answer: any) => unknown]> = {
  erc7715: ['a NaN expiry', (answer) => ({ ...answer, expiry: Number.NaN })],
  'erc7715-2025': ['garbage permissions', (answer) => answer.map((item: object) => ({ ...item, permissions: 'garbage' }))],
  'execution-permissions': ['a permission it cannot read', (answer) => answer.map((item: object) => ({ ...item, permission: { type: 7 } }))],
}

describe.each(Object.keys(alterations) as DevWalletDialectName[])('a %s wallet whose grant answer keyleash refuses', (dialect) => {
  let wallet: DevWallet

  beforeAll(async () => {
    wallet = await createDevWallet({ rpcUrl, dialect, ...(contracts ? { contracts } : {}) })
    contracts ??= wallet.contracts
  }, 30_000)

  const [what, alter] = alterations[dialect]
  test(`error: answered with ${what}, the grant the SessionAccount registered is revoked on chain, and the error says so`, async () => {
    const { grantMethod } = devWalletDialects[dialect]
    const provider = withSessionKeys(alteringGrants(wallet, grantMethod, alter), {
      wallet: devWalletDialects[dialect],
      now: () => Math.floor(Date.now() / 1000) + clockOffset,
    })
    const key = await provider.sessions.importKey(`0x${'4c'.repeat(31)}${(Object.keys(alterations).indexOf(dialect) + 1).toString(16).padStart(2, '0')}`)
    const prompts = wallet.prompts
    const error = await rejectionOf(
      provider.request({
        method: 'wallet_grantPermissions',
        params: [{ expiry: 3600, signer: { type: 'account', data: { id: key } }, permissions: [{ type: 'contract-call', data: { address: wallet.contracts.nft, calls: ['mint(address)'] }, policies: [] }] }],
      }),
    )
    expect(error.code).toBe(-32603)
    expect(error.message).toMatch(/; the grant was revoked at the wallet$/)
    expect(error.data).toMatchObject({ contexts: [key], revoked: true })
    // One prompt to grant, one to revoke: the dev wallet confirms both.
    expect(wallet.prompts - prompts).toBe(2)
    const onChain = await publicClient.readContract({ address: wallet.account, abi: sessionAccountAbi, functionName: 'getSession', args: [key as Address] })
    expect(onChain).toMatchObject({ exists: true, revoked: true })
    expect(await provider.sessions.list()).toStrictEqual([])
  })
})

describe('a grant the store cannot keep', () => {
  test('error: the session store fails after the wallet granted: the grant is revoked on chain, the error says so', async () => {
    const wallet = await createDevWallet({ rpcUrl, ...(contracts ? { contracts } : {}) })
    const store = memoryStore()
    const provider = withSessionKeys(wallet.provider, {
      store: { ...store, put: async () => Promise.reject(new Error('ENOSPC: no space left on device')) },
      now: () => Math.floor(Date.now() / 1000) + clockOffset,
    })
    const key = await provider.sessions.importKey(`0x${'5d'.repeat(32)}`)
    const error = await rejectionOf(
      provider.request({
        method: 'wallet_grantPermissions',
        params: [{ expiry: 3600, signer: { type: 'account', data: { id: key } }, permissions: [{ type: 'contract-call', data: { address: wallet.contracts.nft, calls: ['mint(address)'] }, policies: [] }] }],
      }),
    )
    expect(error).toMatchObject({ code: -32603, data: { contexts: [key], revoked: true } })
    expect(error.message).toBe('the wallet granted, but the session store failed: ENOSPC: no space left on device; the grant was revoked at the wallet')
    const onChain = await publicClient.readContract({ address: wallet.account, abi: sessionAccountAbi, functionName: 'getSession', args: [key] })
    expect(onChain).toMatchObject({ exists: true, revoked: true })
    // The app's own key is the app's: a failed grant does not delete it.
    expect(await store.keys.has(key)).toBe(true)
  }, 30_000)
})
