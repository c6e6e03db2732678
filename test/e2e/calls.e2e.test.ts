import { BaseError, UnauthorizedProviderError, createPublicClient, createWalletClient, custom, http } from 'viem'
import { generatePrivateKey } from 'viem/accounts'
import { anvil } from 'viem/chains'
import { erc7715Actions } from 'viem/experimental'
import { beforeAll, describe, expect, test } from 'vitest'
import { demoNftAbi, sessionAccountAbi } from '../../src/devwallet/artifacts.js'
import { type DevWalletDialectName, devWalletDialects } from '../../src/devwallet/dialects.js'
import { type DevWallet, createDevWallet } from '../../src/devwallet/wallet.js'
import { withSessionKeys } from '../../src/provider.js'
import { useSharedChain } from '../utils/chain.js'

/*
 * Using a grant: the app sends calls under its permissions context; keyleash checks them,
 * the session key signs what the dev wallet prepared (ERC-7836), the wallet relays it, and
 * nobody is asked.
 */

const { rpcUrl, testClient } = useSharedChain()
const publicClient = createPublicClient({ chain: anvil, transport: http(rpcUrl), pollingInterval: 10 })
let clockOffset = 0

beforeAll(async () => {
  // The latest block is as old as the snapshot the last file reverted to: mine one to read the clock.
  await testClient.mine({ blocks: 1 })
  clockOffset = Number((await publicClient.getBlock()).timestamp) - Math.floor(Date.now() / 1000)
})

describe.each(['erc7715'] as const)('a session granted by a %s wallet', (dialect: DevWalletDialectName) => {
  let wallet: DevWallet

  beforeAll(async () => {
    wallet = await createDevWallet({ rpcUrl, dialect })
  }, 30_000)

  async function granted() {
    const provider = withSessionKeys(wallet.provider, { wallet: devWalletDialects[dialect], now: () => Math.floor(Date.now() / 1000) + clockOffset })
    const client = createWalletClient({ account: wallet.account, chain: anvil, transport: custom(provider) }).extend(erc7715Actions())
    const key = await provider.sessions.importKey(generatePrivateKey())
    const { permissionsContext } = await client.grantPermissions({
      expiry: 60 * 60 * 24,
      signer: { type: 'account', data: { id: key } },
      permissions: [{ type: 'contract-call', data: { address: wallet.contracts.nft, calls: ['mint(address)'] }, policies: [] }],
    })
    return { provider, client, key, permissionsContext }
  }

  test('default: calls under the context are signed by the session key and mined, with no prompt', async () => {
    const { client, key, permissionsContext } = await granted()
    const prompts = wallet.prompts
    const { id } = await client.sendCalls({
      calls: [{ to: wallet.contracts.nft, abi: demoNftAbi, functionName: 'mint', args: [wallet.account] }],
      capabilities: { permissions: { context: permissionsContext } },
    })
    const status = await client.waitForCallsStatus({ id, pollingInterval: 10 })
    expect(status).toMatchObject({ status: 'success', atomic: true })
    expect(wallet.prompts).toBe(prompts)
    expect(await publicClient.readContract({ address: wallet.contracts.nft, abi: demoNftAbi, functionName: 'balanceOf', args: [wallet.account] })).toBe(1n)
    const session = await publicClient.readContract({ address: wallet.account, abi: sessionAccountAbi, functionName: 'getSession', args: [key] })
    expect(session.callsUsed).toBe(1)
  })

  test('error: a call outside the granted functions is refused by keyleash (4100)', async () => {
    const { client, permissionsContext } = await granted()
    const block = await publicClient.getBlockNumber()
    const error = await client
      .sendCalls({
        calls: [{ to: wallet.contracts.nft, abi: demoNftAbi, functionName: 'setApprovalForAll', args: [wallet.owner, true] }],
        capabilities: { permissions: { context: permissionsContext } },
      })
      .catch((e: unknown) => e)
    // viem wraps keyleash's 4100; the reason names the function that is not in the session.
    expect((error as BaseError).walk((e) => e instanceof UnauthorizedProviderError)).toMatchObject({ code: 4100 })
    expect((error as BaseError).message).toContain('function 0xa22cb465')
    expect(await publicClient.getBlockNumber()).toBe(block)
  })
})
