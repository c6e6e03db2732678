import { encodeFunctionData, parseAbi, type Address, type Hex } from 'viem'
import type { RequestArguments } from '../../src/types.js'
import { type DevWalletDialectName, devWalletDialects } from '../../src/devwallet/dialects.js'
import { scriptedProvider, type Script, type ScriptedProvider } from './scriptedProvider.js'

export const chainId = 31337
export const account: Address = '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266'
export const nft: Address = '0x5FbDB2315678afecb367f032d93F642f64180aa3'
export const token: Address = '0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512'
export const now = 1_800_000_000
/** `mint(account)` on the NFT: the call {@link grantMint}'s sessions cover. */
export const mintData: Hex = encodeFunctionData({ abi: parseAbi(['function mint(address to)']), functionName: 'mint', args: [account] })

type Requester = { request(args: RequestArguments): Promise<unknown> }

/**
 * Grants `key` (an address the provider's store holds) a session for the NFT's `mint`, in viem's
 * June 2024 shape; resolves to its context.
 *
 * @example
 * const context = await grantMint(provider, await provider.sessions.importKey(generatePrivateKey()))
 */
export async function grantMint(provider: Requester, key: Address): Promise<string> {
  const { permissionsContext } = (await provider.request({
    method: 'wallet_grantPermissions',
    params: [{ expiry: 3600, signer: { type: 'account', data: { id: key } }, permissions: [{ type: 'contract-call', data: { address: nft, calls: ['mint(address)'] } }] }],
  })) as { permissionsContext: string }
  return permissionsContext
}

/**
 * A session-signed `wallet_sendCalls` of one call to the NFT under `context` (`data`: the mint, unless given).
 *
 * @example
 * await sendMint(provider, context)
 */
export function sendMint(provider: Requester, context: string, data: Hex = mintData): Promise<unknown> {
  return provider.request({ method: 'wallet_sendCalls', params: [{ version: '2.0.0', chainId: '0x7a69', atomicRequired: true, calls: [{ to: nft, data }], capabilities: { permissions: { context } } }] })
}

type Wire = Record<string, unknown>

/**
 * A scripted wallet that grants exactly what it is asked, answering in `dialect` as such
 * a wallet does, numbering its
 * contexts, and revoking with `{}`.
 */
export function scriptedWallet(dialect: DevWalletDialectName, more: Script = {}): ScriptedProvider {
  let granted = 0
  const context = () => `0x${(++granted).toString(16).padStart(4, '0')}`
  const grants: Record<DevWalletDialectName, (params: Wire[]) => unknown> = {
    erc7715: ([request]) => ({ expiry: request?.expiry, grantedPermissions: request?.permissions, permissionsContext: context() }),
    'erc7715-2025': (requests) => requests.map((request) => ({ ...request, context: context() })),
    'execution-permissions': (requests) =>
      requests.map((request) => ({ ...request, context: context(), dependencies: [], delegationManager: '0xdb9B1e94B5b69Df7e401DDbedE43491141047dB3' })),
  }
  const { grantMethod, revokeMethod } = devWalletDialects[dialect]
  return scriptedProvider({
    eth_chainId: `0x${chainId.toString(16)}`,
    eth_accounts: [account],
    [grantMethod]: grants[dialect],
    [revokeMethod]: {},
    ...more,
  })
}
