import { isAddress, isHex } from 'viem'
import { sessionSigner } from '../sessions/sessionSigner.js'
import type { MethodHandler } from './types.js'

/**
 * `personal_sign` from a live session key's address is signed locally, without a prompt (the
 * seed signs a backend's `signableHash` this way); hex data is signed as raw bytes. Any other
 * address goes to the wallet untouched.
 *
 * @example
 * const signature = await walletClient.signMessage({ account: sessionKeyAddress, message: { raw: signableHash } })
 */
export const personal_sign: MethodHandler = async (params, context, request) => {
  const [message, address] = Array.isArray(params) ? params : []
  const signer = typeof address === 'string' && isAddress(address, { strict: false }) && typeof message === 'string' ? await sessionSigner(context, address) : undefined
  if (!signer) return context.inner.request(request)
  return signer.signMessage({ message: isHex(message) ? { raw: message } : message })
}
