import { type Address, createPublicClient, http, parseEther, zeroAddress } from 'viem'
import { entryPoint06Address, entryPoint07Address } from 'viem/account-abstraction'
import { anvil } from 'viem/chains'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { startDevChain, type DevChain } from '../../../src/devwallet/chain.js'
import { createDevThirdweb, type DevThirdweb, thirdwebAccountAbi } from '../../../src/devwallet/thirdweb/index.js'
import { rejectionOf } from '../../utils/rejection.js'
import { setSignerPermissions } from '../../utils/thirdweb.js'

// Its own anvil: thirdweb's factory and the EntryPoints stay for the file, and no snapshot of the shared chain is reverted under them.
let chain: DevChain
let wallet: DevThirdweb
const approvals: string[] = []

beforeAll(async () => {
  chain = await startDevChain()
  wallet = await createDevThirdweb({
    rpcUrl: chain.rpcUrl,
    approve: ({ method }) => {
      approvals.push(method)
      return method !== 'personal_sign'
    },
  })
}, 60_000)
afterAll(async () => chain?.stop())

describe('createDevThirdweb', () => {
  test('default: the EntryPoints sit at their canonical addresses; the account is thirdweb\'s, on v0.6, administered by the owner', async () => {
    const publicClient = createPublicClient({ chain: anvil, transport: http(chain.rpcUrl) })
    expect(await publicClient.getCode({ address: entryPoint06Address })).toMatch(/^0x60806040/)
    expect(await publicClient.getCode({ address: entryPoint07Address })).toMatch(/^0x60806040/)
    expect(await publicClient.readContract({ address: wallet.account, abi: thirdwebAccountAbi, functionName: 'entryPoint' })).toBe(entryPoint06Address)
    expect(await publicClient.readContract({ address: wallet.account, abi: thirdwebAccountAbi, functionName: 'isAdmin', args: [wallet.owner] })).toBe(true)
    expect(await publicClient.readContract({ address: wallet.account, abi: thirdwebAccountAbi, functionName: 'factory' })).toBe(wallet.factory)
  })

  test('behavior: the owner\'s EOA wallet answers eth_accounts with the owner and speaks no ERC-7715 (4200)', async () => {
    expect(await wallet.provider.request({ method: 'eth_accounts' })).toStrictEqual([wallet.owner])
    expect(await rejectionOf(wallet.provider.request({ method: 'wallet_grantPermissions' as never, params: [{}] as never }))).toMatchObject({ code: 4200 })
  })

  test('behavior: the owner signs a SignerPermissionRequest (one prompt) and sends setPermissionsForSigner (one prompt): the account reads the session key back', async () => {
    const publicClient = createPublicClient({ chain: anvil, transport: http(chain.rpcUrl) })
    const sessionKey: Address = '0x00000000000000000000000000000000000005E5'
    const { timestamp } = await publicClient.getBlock()
    const before = approvals.length
    await setSignerPermissions(chain.rpcUrl, wallet, sessionKey, { targets: [wallet.contracts.nft], nativeLimit: parseEther('0.01'), end: timestamp + 3600n })
    expect(approvals.slice(before)).toStrictEqual(['eth_signTypedData_v4', 'eth_sendTransaction'])
    expect(await publicClient.readContract({ address: wallet.account, abi: thirdwebAccountAbi, functionName: 'getPermissionsForSigner', args: [sessionKey] })).toStrictEqual({
      signer: sessionKey,
      approvedTargets: [wallet.contracts.nft],
      nativeTokenLimitPerTransaction: parseEther('0.01'),
      startTimestamp: 0n,
      endTimestamp: timestamp + 3600n,
    })
  })

  test('error: what the approval hook refuses is a 4001, and counted', async () => {
    const prompts = wallet.prompts
    expect(await rejectionOf(wallet.provider.request({ method: 'personal_sign', params: ['0x68656c6c6f', wallet.owner] }))).toMatchObject({ code: 4001 })
    expect(wallet.prompts).toBe(prompts + 1)
    expect(await rejectionOf(wallet.provider.request({ method: 'eth_sendTransaction', params: [{ from: zeroAddress, to: wallet.account }] }))).toMatchObject({ code: 4100 })
  })
})
