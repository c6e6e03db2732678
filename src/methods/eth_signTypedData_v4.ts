import { isAddress, type TypedDataDefinition } from 'viem'
import { readTypedData } from '../permissions/read.js'
import { sessionSigner } from '../sessions/sessionSigner.js'
import type { MethodHandler } from './types.js'

/**
 * `eth_signTypedData_v4` (EIP-712) from a live session key's address is signed locally,
 * without a prompt. Any other address goes to the wallet untouched.
 *
 * @see https://eips.ethereum.org/EIPS/eip-712
 * @example
 * await walletClient.signTypedData({ account: sessionKeyAddress, domain, types, primaryType, message })
 */
export const eth_signTypedData_v4: MethodHandler = async (params, context, request) => {
  const [address, payload] = Array.isArray(params) ? params : []
  const signer = typeof address === 'string' && isAddress(address, { strict: false }) ? await sessionSigner(context, address) : undefined
  if (!signer) return context.inner.request(request)
  const { domain, types, primaryType, message } = readTypedData(payload, 'params[1]')
  // viem derives the domain's type from the domain itself.
  const { EIP712Domain: _, ...rest } = types
  return signer.signTypedData({ domain, types: rest, primaryType, message } as TypedDataDefinition)
}
