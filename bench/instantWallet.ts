/**
 * An inner wallet that answers at once, for the benches: every figure measured over it is
 * keyleash's own cost (or viem's), not a wallet's. It grants exactly what it is asked (June
 * 2024 dialect), revokes anything, and prepares any batch with one fixed digest (ERC-7836), so
 * the floor that signs that digest does no more work than keyleash's executor.
 */
import { encodeFunctionData, keccak256, numberToHex, parseAbi, type Address, type Hex } from 'viem'
import type { RequestArguments } from '../src/types.js'

/** What the instant wallet answers to `eth_chainId` and `eth_accounts`, and the NFT the grants are for. */
export const chainId = 31337
export const account: Address = '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266'
export const nft: Address = '0x5FbDB2315678afecb367f032d93F642f64180aa3'
export const now = 1_800_000_000
/** What `wallet_prepareCalls` always asks to sign. */
export const digest: Hex = keccak256('0x6b65796c65617368')

type Body = { expiry?: unknown; permissions?: unknown; key?: unknown }

/**
 * @example
 * const provider = withSessionKeys(instantWallet(), { now: () => now })
 */
export function instantWallet() {
  let granted = 0
  let sent = 0
  const chain = `0x${chainId.toString(16)}`
  const accounts = [account]
  return {
    async request({ method, params }: RequestArguments): Promise<unknown> {
      const [body] = (params ?? []) as Body[]
      switch (method) {
        case 'eth_chainId':
          return chain
        case 'eth_accounts':
          return accounts
        case 'wallet_grantPermissions':
          return { expiry: body?.expiry, grantedPermissions: body?.permissions, permissionsContext: `0x${(++granted).toString(16)}` }
        case 'wallet_revokePermissions':
          return {}
        case 'wallet_prepareCalls':
          return { chainId: chain, context: sent, digest, key: body?.key }
        case 'wallet_sendPreparedCalls':
          return { id: `0x${(++sent).toString(16)}` }
        default:
          throw Object.assign(new Error(`instant wallet: ${method} is not scripted`), { code: 4200 })
      }
    },
  }
}

/**
 * A June 2024 grant for the NFT's `mint`, as viem's `grantPermissions` sends it.
 * @example
 * await provider.request({ method: 'wallet_grantPermissions', params: grantRequest(key) })
 */
export function grantRequest(signer?: `0x${string}`) {
  return [
    {
      expiry: 3600,
      ...(signer === undefined ? {} : { signer: { type: 'account', data: { id: signer } } }),
      permissions: [{ type: 'contract-call', data: { address: nft, calls: ['mint(address)'] }, policies: [], required: true }],
    },
  ]
}

/** The NFT's `mint(account)`, the one call every bench sends. */
export const mintCalls = [{ to: nft, data: encodeFunctionData({ abi: parseAbi(['function mint(address to)']), functionName: 'mint', args: [account] }) }]

/**
 * A session-signed `wallet_sendCalls` of {@link mintCalls} under the session `context` that a grant answered.
 * @example
 * await provider.request(sendRequest(permissionsContext))
 */
export function sendRequest(context: string) {
  return {
    method: 'wallet_sendCalls',
    params: [{ version: '2.0.0', chainId: numberToHex(chainId), atomicRequired: true, calls: mintCalls, capabilities: { permissions: { context } } }],
  }
}

/**
 * The median of `samples` (sorted in place).
 *
 * @example
 * median([3, 1, 2]) // 2
 */
export function median(samples: number[]): number {
  samples.sort((a, b) => a - b)
  const middle = samples.length >> 1
  return samples.length % 2 === 1 ? (samples[middle] as number) : ((samples[middle - 1] as number) + (samples[middle] as number)) / 2
}

/**
 * `met` or `NOT MET`, for a target's line.
 *
 * @example
 * console.log(`ratio ${ratio.toFixed(3)} (target ≤ 1.03: ${verdict(ratio <= 1.03)})`)
 */
export function verdict(met: boolean): string {
  return met ? 'met' : 'NOT MET'
}
