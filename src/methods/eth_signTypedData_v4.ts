import { isAddress, type TypedDataDefinition } from 'viem'
import { InvalidParamsError } from '../errors.js'
import { readObject } from '../permissions/read.js'
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
  let typed: unknown = payload
  if (typeof payload === 'string') {
    try {
      typed = JSON.parse(payload)
    } catch {
      throw new InvalidParamsError('params[1]', 'is not JSON typed data')
    }
  }
  const { domain, types, primaryType, message } = readObject(typed, 'params[1]')
  // viem derives the domain's type from the domain itself.
  const { EIP712Domain: _, ...rest } = readObject(types, 'params[1].types')
  return signer.signTypedData({ domain, types: rest, primaryType, message } as TypedDataDefinition)
}
