import { createPublicClient, createWalletClient, custom, encodeFunctionData, http } from 'viem'
import { generatePrivateKey } from 'viem/accounts'
import { anvil } from 'viem/chains'
import { erc7715Actions } from 'viem/experimental'
import { beforeAll, describe, expect, test } from 'vitest'
import { demoNftAbi } from '../../src/devwallet/artifacts.js'
import { devWalletDialects } from '../../src/devwallet/dialects.js'
import { type DevWallet, createDevWallet } from '../../src/devwallet/wallet.js'
import type { KeyleashOptions } from '../../src/options.js'
import { withSessionKeys } from '../../src/provider.js'
import { useSharedChain } from '../utils/chain.js'
import { sessionSigning } from '../../src/permissions/sessionSigning.js'

/*
 * The signing bypass of issue 10: a session key must not sign, through eth_signTypedData_v4,
 * the Execute typed data the wallet prepared for calls keyleash refuses. On an Openfort-style
 * account (targets only on chain), that signature would move the account's NFT.
 */

const { rpcUrl, testClient } = useSharedChain()
const publicClient = createPublicClient({ chain: anvil, transport: http(rpcUrl), pollingInterval: 10 })
const thief = '0x000000000000000000000000000000000000dEaD'
let clockOffset = 0
let wallet: DevWallet

beforeAll(async () => {
  await testClient.mine({ blocks: 1 })
  clockOffset = Number((await publicClient.getBlock()).timestamp) - Math.floor(Date.now() / 1000)
  wallet = await createDevWallet({ rpcUrl, dialect: 'erc7715' })
}, 30_000)

async function mintOnly(options: KeyleashOptions) {
  const provider = withSessionKeys(wallet.provider, { wallet: devWalletDialects.erc7715, now: () => Math.floor(Date.now() / 1000) + clockOffset, ...options })
  const client = createWalletClient({ account: wallet.account, chain: anvil, transport: custom(provider) }).extend(erc7715Actions())
  const key = await provider.sessions.importKey(generatePrivateKey())
  const { permissionsContext } = await client.grantPermissions({
    expiry: 60 * 60,
    signer: { type: 'account', data: { id: key } },
    permissions: [{ type: 'contract-call', data: { address: wallet.contracts.nft, calls: ['mint(address)'] }, policies: [] }],
  })
  const { id } = await client.sendCalls({
    calls: [{ to: wallet.contracts.nft, abi: demoNftAbi, functionName: 'mint', args: [wallet.account] }],
    capabilities: { permissions: { context: permissionsContext } },
  })
  await client.waitForCallsStatus({ id, pollingInterval: 10 })
  const tokenId = await publicClient.readContract({ address: wallet.contracts.nft, abi: demoNftAbi, functionName: 'totalSupply' })
  return { provider, key, permissionsContext, tokenId }
}

describe.each([
  // Without the opt-in the request is refused unread; with every kind on, the classifier refuses it.
  ['no opt-in', {}, 'so it did not read this request'],
  ['every signing opt-in', { signing: sessionSigning({ hashes: true, messages: true, typedData: true }) }, 'would authorise calls or spending by the account'],
] as const)('a mint-only session on an Openfort-style account, %s', (_, options, why) => {
  test('error: the Execute typed data the wallet prepared for transferFrom is not signed by the session key (4100), and the NFT stays', async () => {
    const { provider, key, permissionsContext, tokenId } = await mintOnly(options)
    const data = encodeFunctionData({ abi: demoNftAbi, functionName: 'transferFrom', args: [wallet.account, thief, tokenId] })
    // wallet_prepareCalls is the wallet's: keyleash passes it through.
    const prepared = (await provider.request({
      method: 'wallet_prepareCalls',
      params: [{ from: wallet.account, chainId: '0x7a69', calls: [{ to: wallet.contracts.nft, data }], capabilities: { permissions: { context: permissionsContext } }, key: { type: 'address', publicKey: key } }],
    })) as { typedData: unknown; context: unknown; key: unknown }
    const signed = provider.request({ method: 'eth_signTypedData_v4', params: [key, JSON.stringify(prepared.typedData)] })
    await expect(signed).rejects.toMatchObject({ code: 4100, message: expect.stringContaining(why) })
    expect(await publicClient.readContract({ address: wallet.contracts.nft, abi: demoNftAbi, functionName: 'ownerOf', args: [tokenId] })).toBe(wallet.account)
    expect((await provider.sessions.get(permissionsContext))?.usage.calls).toBe(1)
  })
})
