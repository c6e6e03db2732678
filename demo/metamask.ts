/**
 * The MetaMask story (`npm run demo -- --wallet=metamask`): the development MetaMask on MetaMask's
 * real Delegation Framework, wrapped with keyleash, asked through MetaMask's own Smart Accounts
 * Kit. One prompt grants a daily ERC-20 allowance; the session key spends within it with no
 * prompt; past it keyleash refuses, naming what is left and until when; the next day (the chain's
 * clock moved) it spends again; a revoke disables the delegation on chain.
 *
 * No network: the chain is anvil on 127.0.0.1. Its checks report through `demo/report.ts`, as the
 * other stories' do.
 */
import { DelegationManager } from '@metamask/delegation-abis'
import { erc7715ProviderActions } from '@metamask/smart-accounts-kit/actions'
import { type Address, type Hex, createPublicClient, createTestClient, createWalletClient, custom, encodeFunctionData, encodePacked, erc20Abi, formatUnits, http, numberToHex, parseEther, parseUnits, zeroHash } from 'viem'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import { foundry } from 'viem/chains'
import { createDevMetaMask, startDevChain } from '../src/devwallet/index.js'
import { withSessionKeys } from '../src/index.js'
import { erc7710Executor, executionPermissions } from '../src/wallets.js'
import { check, short } from './report.js'

const day = 86_400
const tokens = (value: bigint) => `${formatUnits(value, 18)} DEMO`

/**
 * Runs the story and prints it.
 *
 * @example
 * await metamaskStory()
 */
export async function metamaskStory(): Promise<void> {
  console.log('1. Start a local chain and the development MetaMask (its Delegation Framework deployed by the Smart Accounts Kit)')
  const chain = await startDevChain()
  try {
    const metamask = await createDevMetaMask({
      rpcUrl: chain.rpcUrl,
      approve: ({ summary }) => {
        console.log(`   [MetaMask] confirm? ${summary} → approved`)
        return true
      },
    })
    const { token } = metamask.contracts
    const chainClient = createPublicClient({ chain: foundry, transport: http(chain.rpcUrl), pollingInterval: 20 })
    const testClient = createTestClient({ mode: 'anvil', chain: foundry, transport: http(chain.rpcUrl) })
    console.log(`   account ${short(metamask.account)} (a Hybrid DeleGator), DelegationManager ${short(metamask.environment.DelegationManager)}, token ${short(token)}`)

    // keyleash reads the chain's clock, the one MetaMask's enforcers read.
    let offset = 0
    const syncClock = async () => {
      offset = Number((await chainClient.getBlock()).timestamp) - Math.floor(Date.now() / 1000)
    }
    await syncClock()
    const provider = withSessionKeys(metamask.provider, { wallet: executionPermissions, executor: erc7710Executor(), now: () => Math.floor(Date.now() / 1000) + offset })
    const client = createWalletClient({ chain: foundry, transport: custom(provider) }).extend(erc7715ProviderActions())
    const shop: Address = '0x00000000000000000000000000000000000005a0'
    const held = () => chainClient.readContract({ address: token, abi: erc20Abi, functionName: 'balanceOf', args: [shop] })

    console.log('\n2. Grant a session key a daily allowance of 100 DEMO (erc20-token-periodic), through the kit\'s requestExecutionPermissions')
    const privateKey = generatePrivateKey()
    const sessionKey = await provider.sessions.importKey(privateKey)
    const now = Number((await chainClient.getBlock()).timestamp)
    const [grant] = await client.requestExecutionPermissions([
      {
        chainId: foundry.id,
        to: sessionKey,
        expiry: now + 7 * day,
        permission: { type: 'erc20-token-periodic', data: { tokenAddress: token, periodAmount: parseUnits('100', 18), periodDuration: day, startTime: now, justification: 'daily shop budget' }, isAdjustmentAllowed: false },
      },
    ])
    const context = grant?.context as Hex
    console.log(`   granted ${grant?.permission.type} to ${short(sessionKey)}: the context is the signed delegation (${(context.length - 2) / 2} bytes), redeemed at ${short(grant?.delegationManager ?? '0x')}`)
    check(metamask.prompts === 1, `prompts so far: ${metamask.prompts}`)
    // The session key redeems its own calls, so it pays their gas.
    await testClient.setBalance({ address: sessionKey, value: parseEther('1') })
    console.log(`   funded the session key with 1 ETH for gas (anvil_setBalance)`)

    const pay = (amount: string) =>
      provider.request({
        method: 'wallet_sendCalls',
        params: [{ version: '2.0.0', chainId: numberToHex(foundry.id), atomicRequired: true, calls: [{ to: token, data: encodeFunctionData({ abi: erc20Abi, functionName: 'transfer', args: [shop, parseUnits(amount, 18)] }) }], capabilities: { permissions: { context } } }],
      })
    const refusal = async (amount: string) => {
      try {
        await pay(amount)
        return undefined
      } catch (error) {
        return error as { code: number; message: string; data?: { reasons?: ({ reason: string; message: string } | null)[] } }
      }
    }

    console.log('\n3. Spend 60 DEMO, then 30 DEMO, with the session key: redeemed on chain, no prompt')
    await pay('60')
    await pay('30')
    check((await held()) === parseUnits('90', 18), `the shop holds ${tokens(await held())}`)
    check(metamask.prompts === 1, `prompts so far: ${metamask.prompts} (none for the payments)`)

    console.log('\n4. Try 20 DEMO more the same day')
    const over = await refusal('20')
    const reason = over?.data?.reasons?.[0] as { reason: string; remaining?: string; periodEnd?: number } | undefined
    console.log(`   refused by keyleash: ${reason?.reason}: ${tokens(BigInt(reason?.remaining ?? 0))} left until ${new Date((reason?.periodEnd ?? 0) * 1000).toISOString()}`)
    check(over?.code === 4100 && reason?.reason === 'spend-over-period-limit', 'refused locally (4100), before anything was signed or sent')
    check((await held()) === parseUnits('90', 18), `the shop still holds ${tokens(await held())}`)

    console.log('\n5. A day later (the chain\'s clock moved with evm_increaseTime), spend 50 DEMO')
    await testClient.increaseTime({ seconds: day })
    await testClient.mine({ blocks: 1 })
    await syncClock()
    await pay('50')
    check((await held()) === parseUnits('140', 18), `the shop holds ${tokens(await held())}`)

    console.log('\n6. Revoke: MetaMask disables the delegation on chain (DelegationManager.disableDelegation)')
    await provider.request({ method: 'wallet_revokeExecutionPermission', params: [{ permissionContext: context }] })
    const revoked = await refusal('1')
    check(revoked?.data?.reasons?.[0]?.reason === 'revoked', `keyleash refuses another payment: ${revoked?.data?.reasons?.[0]?.reason}`)
    // Sent anyway, without keyleash: the DelegationManager refuses it.
    const direct = createWalletClient({ account: privateKeyToAccount(privateKey), chain: foundry, transport: http(chain.rpcUrl) })
    const execution = encodePacked(['address', 'uint256', 'bytes'], [token, 0n, encodeFunctionData({ abi: erc20Abi, functionName: 'transfer', args: [shop, 1n] })])
    const hash = await direct.sendTransaction({ to: metamask.environment.DelegationManager, data: encodeFunctionData({ abi: DelegationManager, functionName: 'redeemDelegations', args: [[context], [zeroHash], [execution]] }), gas: 1_000_000n })
    const receipt = await chainClient.waitForTransactionReceipt({ hash })
    check(receipt.status === 'reverted', `the same redemption sent straight to the chain: ${receipt.status}`)
    check(metamask.prompts === 2, `prompts in all: ${metamask.prompts} (the grant and the revoke)`)
    await metamask.close()
  } finally {
    await chain.stop()
  }
}
