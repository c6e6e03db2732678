import { hexToNumber, type Address, type Hex } from 'viem'
import { isAddressShape } from './permissions/isAddressShape.js'
import { InternalError, UnauthorizedError } from './errors.js'
import type { Eip1193Provider } from './types.js'

/**
 * The inner wallet's current chain, asked each time: the user may have switched.
 *
 * @example
 * const chainId = await walletChainId(inner) // 31337
 */
export async function walletChainId(inner: Eip1193Provider): Promise<number> {
  const chainId = await inner.request({ method: 'eth_chainId' })
  if (typeof chainId !== 'string' || !chainId.startsWith('0x'))
    throw new InternalError(`the wallet answered eth_chainId with ${String(chainId)}, not a hex chain id`)
  return hexToNumber(chainId as Hex)
}

/**
 * The inner wallet's connected accounts.
 *
 * @example
 * const [account] = await walletAccounts(inner)
 */
export async function walletAccounts(inner: Eip1193Provider): Promise<Address[]> {
  const accounts = await inner.request({ method: 'eth_accounts' })
  if (!Array.isArray(accounts) || !accounts.every(isAddressShape))
    throw new InternalError('the wallet answered eth_accounts with something other than a list of addresses')
  return accounts
}

/** The account calls come from when a request does not say: the wallet's first. */
export async function walletAccount(inner: Eip1193Provider): Promise<Address> {
  const [account] = await walletAccounts(inner)
  if (!account) throw notConnected()
  return account
}

/** 4100 for a request that needs an account while the wallet has none connected. */
export function notConnected(): UnauthorizedError {
  return new UnauthorizedError('the wallet has no connected account; connect first (eth_requestAccounts)')
}
