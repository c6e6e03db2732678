import { type Address, type Hex, type PublicClient, createWalletClient, encodeFunctionData, erc20Abi, http, numberToHex, toFunctionSelector } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { anvil } from 'viem/chains'
import { demoNftAbi, demoTokenAbi } from '../../src/devwallet/artifacts.js'
import { deployDemoNft } from '../../src/devwallet/contracts.js'
import { type OpenfortAccountType, startOpenfortBackend } from '../../src/devwallet/openfort/backend.js'
import { type DevOpenfort, createDevOpenfort } from '../../src/devwallet/openfort/sdk.js'
import type { ReasonCode, ScopeCall } from '../../src/permissions/scope.js'
import { catchUpWithSystemClock, type useSharedChain } from './chain.js'

/** Where the Openfort differentials send value and tokens: nobody's. */
export const recipient: Address = '0x000000000000000000000000000000000000dEaD'

/** The calls the Openfort differentials draw from: the demo NFT's and an ERC-20's functions, by selector. */
export const callPool: { selector: Hex; data: Hex }[] = [
  ['mint(address)', encodeFunctionData({ abi: demoNftAbi, functionName: 'mint', args: [recipient] })],
  ['setApprovalForAll(address,bool)', encodeFunctionData({ abi: demoNftAbi, functionName: 'setApprovalForAll', args: [recipient, true] })],
  ['transfer(address,uint256)', encodeFunctionData({ abi: erc20Abi, functionName: 'transfer', args: [recipient, 1n] })],
  ['approve(address,uint256)', encodeFunctionData({ abi: erc20Abi, functionName: 'approve', args: [recipient, 1n] })],
  ['balanceOf(address)', encodeFunctionData({ abi: erc20Abi, functionName: 'balanceOf', args: [recipient] })],
].map(([signature, data]) => ({ selector: toFunctionSelector(signature as string), data: data as Hex }))

/** A user of `accountType` on a new development backend, a second NFT, and tokens on the account; `close` stops the backend. */
export async function openfortDifferentialUser(chain: ReturnType<typeof useSharedChain>, publicClient: PublicClient, accountType: OpenfortAccountType) {
  const { rpcUrl, testClient } = chain
  // The SDK dates sessions by the system clock: the chain must not run behind it.
  await catchUpWithSystemClock(testClient)
  const backend = await startOpenfortBackend({ rpcUrl })
  const user = await createDevOpenfort({ rpcUrl, backend, accountType })
  const deployer = createWalletClient({ account: privateKeyToAccount('0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80'), chain: anvil, transport: http(rpcUrl) })
  const nft2 = await deployDemoNft(deployer, publicClient)
  const hash = await deployer.writeContract({ address: user.contracts.token, abi: demoTokenAbi, functionName: 'mint', args: [user.account, 10n ** 24n] })
  await publicClient.waitForTransactionReceipt({ hash })
  return { user, nft2, close: () => backend.close() }
}

/**
 * The scope rule in a chain refusal (`… execution reverted: TargetNotWhitelisted(…)`), by the
 * account model's error names; null when it executed or the callee itself reverted.
 */
export function reasonIn(outcome: string | null, errorReason: Readonly<Record<string, ReasonCode>>): ReasonCode | null {
  if (outcome === null) return null
  const name = /execution reverted: (\w+)\(/.exec(outcome)?.[1]
  if (name === undefined) throw new Error(`not a revert: ${outcome}`)
  if (name === 'CallFailed') return null
  const reason = errorReason[name]
  if (reason === undefined) throw new Error(`${name}, which no scope rule maps to`)
  return reason
}

/** The session key signs a transaction intent at Openfort directly, as a leaked key would; null when it executed, else Openfort's message. */
export async function signedAtOpenfort(user: DevOpenfort, privateKey: Hex, call: ScopeCall): Promise<string | null> {
  const post = async (path: string, body: unknown) => {
    const response = await fetch(`${user.backend.url}${path}`, { method: 'POST', headers: { ...user.api.headers, 'content-type': 'application/json' }, body: JSON.stringify(body) })
    return { ok: response.ok, answer: (await response.json()) as { id: string; nextAction?: { payload: { signableHash: Hex } }; error?: { message: string } } }
  }
  const intent = await post('/v1/transaction_intents', { account: user.accountId, chainId: anvil.id, interactions: [{ to: call.to, data: call.data, value: numberToHex(call.value ?? 0n) }] })
  // Both account models take an EIP-191 signature over the digest from a key.
  const signature = await privateKeyToAccount(privateKey).signMessage({ message: { raw: intent.answer.nextAction?.payload.signableHash as Hex } })
  const signed = await post(`/v1/transaction_intents/${intent.answer.id}/signature`, { signature })
  return signed.ok ? null : (signed.answer.error?.message ?? 'no message')
}
