import { isHex } from 'viem'
import { assertMessageSize, messageKind } from '../permissions/signRequest.js'
import { assertOptedIn, sessionSigner } from '../sessions/sessionSigner.js'
import type { MethodHandler } from './types.js'
import { isAddressShape } from '../permissions/isAddressShape.js'

/**
 * `personal_sign` from a session key's address: refused with 4100 unless the app opted in
 * (`signing: { hashes: true }` for opaque bytes and 32-byte hashes, such as the seed's
 * `signableHash`; `signing: { messages: true }` for readable text), because keyleash cannot
 * check what such a signature authorises. Opted in, it is signed locally without a prompt, hex
 * as raw bytes. A message past `signLimits` is refused with -32602 before it is read. Any
 * other address goes to the wallet untouched.
 *
 * @example
 * const provider = withSessionKeys(inner, { wallet: openfort, signing: { hashes: true } })
 * const signature = await walletClient.signMessage({ account: sessionKeyAddress, message: { raw: signableHash } })
 */
export const personal_sign: MethodHandler = async (params, context, request) => {
  const [message, address] = Array.isArray(params) ? params : []
  const found = isAddressShape(address) && typeof message === 'string' ? await sessionSigner(context, address) : undefined
  if (!found) return context.inner.request(request)
  assertMessageSize(message as string, 'params[0]')
  assertOptedIn(context, found, messageKind(message as string), address as `0x${string}`)
  return found.signer.signMessage({ message: isHex(message) ? { raw: message } : (message as string) })
}
