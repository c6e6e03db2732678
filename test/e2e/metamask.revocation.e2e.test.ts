import { DelegationManager } from '@metamask/delegation-abis'
import { erc7715ProviderActions } from '@metamask/smart-accounts-kit/actions'
import { type Address, type Hex, createPublicClient, createWalletClient, custom, encodeFunctionData, encodePacked, erc20Abi, http, parseAbi, parseEther, zeroAddress, zeroHash } from 'viem'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import { anvil } from 'viem/chains'
import { beforeAll, expect, test } from 'vitest'
import { demoNftAbi } from '../../src/devwallet/artifacts.js'
import { deployDemoNft } from '../../src/devwallet/contracts.js'
import { createDevMetaMask, type DevMetaMask } from '../../src/devwallet/metamask/index.js'
import { type ScopeCall, checkScope } from '../../src/permissions/scope.js'
import { withSessionKeys } from '../../src/provider.js'
import type { Session } from '../../src/sessions/types.js'
import { advancedPermissions, erc7710Executor, executionPermissions } from '../../src/wallets.js'
import { useMetaMaskChain } from '../utils/metamaskFramework.js'
import { receiptOf } from '../utils/receipt.js'

/*
 * `token-approval-revocation` against MetaMask's ApprovalRevocationEnforcer: for each revoking
 * call (and a few that grant), with and without an approval standing, keyleash's decision and
 * the enforcer's. The approvals are made by the account itself, impersonated on anvil.
 */

const { rpcUrl, testClient, framework } = useMetaMaskChain()
const publicClient = createPublicClient({ chain: anvil, transport: http(rpcUrl), pollingInterval: 5 })
const spender = '0x000000000000000000000000000000000000bEEF' as Address
let metamask: DevMetaMask
let nft: Address

beforeAll(async () => {
  metamask = await createDevMetaMask({ rpcUrl, environment: framework() })
  const [funder] = await testClient.request({ method: 'eth_accounts' } as never) as Address[]
  const deployer = createWalletClient({ account: funder as Address, chain: anvil, transport: http(rpcUrl) })
  nft = await deployDemoNft(deployer as never, publicClient as never)
}, 60_000)

/** Runs a call as the account itself (anvil impersonation): the approvals the revocations take back. */
async function asAccount(to: Address, data: Hex) {
  await testClient.impersonateAccount({ address: metamask.account })
  const hash = await createWalletClient({ account: metamask.account, chain: anvil, transport: http(rpcUrl) }).sendTransaction({ to, data })
  await testClient.stopImpersonatingAccount({ address: metamask.account })
  expect((await receiptOf(publicClient, hash)).status).toBe('success')
}

test('behavior: keyleash allows the revoking calls the ApprovalRevocationEnforcer redeems; a revocation of nothing, which the enforcer refuses, is caught before it is sent', async () => {
  await testClient.mine({ blocks: 1 })
  const now = Number((await publicClient.getBlock()).timestamp)
  const provider = withSessionKeys(metamask.provider, { wallet: executionPermissions, executor: erc7710Executor(), now: () => now })
  const client = createWalletClient({ chain: anvil, transport: custom(provider) }).extend(erc7715ProviderActions())
  const privateKey = generatePrivateKey()
  const key = await provider.sessions.importKey(privateKey)
  await testClient.setBalance({ address: key, value: parseEther('1') })
  const [grant] = await client.requestExecutionPermissions([
    {
      chainId: anvil.id,
      to: key,
      expiry: now + 86_400,
      permission: {
        type: 'token-approval-revocation',
        data: { erc20Approve: true, erc721Approve: true, erc721SetApprovalForAll: true, permit2Approve: false, permit2Lockdown: false, permit2InvalidateNonces: false },
        isAdjustmentAllowed: false,
      },
    },
  ])
  const context = grant?.context as Hex
  const session = (await provider.sessions.get(context)) as Session
  const direct = createWalletClient({ account: privateKeyToAccount(privateKey), chain: anvil, transport: http(rpcUrl) })
  const token = metamask.contracts.token
  const approveErc20 = (amount: bigint) => encodeFunctionData({ abi: erc20Abi, functionName: 'approve', args: [spender, amount] })
  const nftAbi = parseAbi(['function approve(address,uint256)', 'function setApprovalForAll(address,bool)'])
  await asAccount(nft, encodeFunctionData({ abi: demoNftAbi, functionName: 'mint', args: [metamask.account] }))

  const cases: { name: string; before?: () => Promise<void>; call: ScopeCall }[] = [
    { name: 'ERC-20 approve(x, 0) with an allowance standing', before: () => asAccount(token, approveErc20(5n)), call: { to: token, data: approveErc20(0n) } },
    { name: 'ERC-20 approve(x, 0) with none standing', call: { to: token, data: approveErc20(0n) } },
    { name: 'ERC-20 approve(x, 7)', call: { to: token, data: approveErc20(7n) } },
    { name: 'ERC-721 setApprovalForAll(x, false) with the operator approved', before: () => asAccount(nft, encodeFunctionData({ abi: nftAbi, functionName: 'setApprovalForAll', args: [spender, true] })), call: { to: nft, data: encodeFunctionData({ abi: nftAbi, functionName: 'setApprovalForAll', args: [spender, false] }) } },
    { name: 'ERC-721 setApprovalForAll(x, false) with none standing', call: { to: nft, data: encodeFunctionData({ abi: nftAbi, functionName: 'setApprovalForAll', args: [spender, false] }) } },
    { name: 'ERC-721 setApprovalForAll(x, true)', call: { to: nft, data: encodeFunctionData({ abi: nftAbi, functionName: 'setApprovalForAll', args: [spender, true] }) } },
    { name: 'ERC-721 approve(0, id) with an approval standing', before: () => asAccount(nft, encodeFunctionData({ abi: nftAbi, functionName: 'approve', args: [spender, 1n] })), call: { to: nft, data: encodeFunctionData({ abi: nftAbi, functionName: 'approve', args: [zeroAddress, 1n] }) } },
    { name: 'a transfer', call: { to: token, data: encodeFunctionData({ abi: erc20Abi, functionName: 'transfer', args: [spender, 1n] }) } },
  ]
  const verdicts: { name: string; keyleash: boolean; chain: boolean }[] = []
  for (const { name, before, call } of cases) {
    await before?.()
    const local = checkScope(session, [call], { chainId: anvil.id, now, canSign: true, permissionKinds: advancedPermissions }).allowed
    const data = encodeFunctionData({ abi: DelegationManager, functionName: 'redeemDelegations', args: [[context], [zeroHash], [encodePacked(['address', 'uint256', 'bytes'], [call.to, 0n, call.data ?? '0x'])]] })
    const hash = await direct.sendTransaction({ to: metamask.environment.DelegationManager, data, gas: 1_000_000n })
    const redeemed = (await receiptOf(publicClient, hash)).status === 'success'
    verdicts.push({ name, keyleash: local, chain: redeemed })
  }
  // The enforcer also refuses to revoke what is not there: state keyleash's pure check cannot
  // see. Those two go to the wallet's side of "who enforces what"; keyleash's estimate catches
  // them before anything is sent (below).
  expect(verdicts.filter((v) => v.keyleash !== v.chain)).toStrictEqual([
    { name: 'ERC-20 approve(x, 0) with none standing', keyleash: true, chain: false },
    { name: 'ERC-721 setApprovalForAll(x, false) with none standing', keyleash: true, chain: false },
  ])
  const noop = await provider
    .request({ method: 'wallet_sendCalls', params: [{ version: '2.0.0', chainId: '0x7a69', atomicRequired: true, calls: [{ to: token, data: approveErc20(0n) }], capabilities: { permissions: { context } } }] })
    .catch((error: Error) => error.message)
  expect(noop).toMatch(/^the redemption under session 0x[0-9a-f]{16}… cannot be sent: /)
})
