import { notOptedIn } from '../permissions/sessionSigning.js'
import { sessionKeyOf } from '../sessions/sessionSigner.js'
import type { MethodHandler } from './types.js'
import { isAddressShape } from '../permissions/isAddressShape.js'

/**
 * `personal_sign` from a session key's address: refused with 4100 unless the app opted in
 * (`signing: sessionSigning({ hashes: true })` for opaque bytes and 32-byte hashes, such as the
 * seed's `signableHash`; `sessionSigning({ messages: true })` for readable text), because
 * keyleash cannot check what such a signature authorises. Without a `signing` option the
 * message is not even read. Opted in, it is signed locally without a prompt, hex as raw bytes;
 * a message past `signLimits` is refused with -32602 before it is read. Any other address goes
 * to the wallet untouched.
 *
 * @example
 * const provider = withSessionKeys(inner, { wallet: openfort, signing: sessionSigning({ hashes: true }) })
 * const signature = await walletClient.signMessage({ account: sessionKeyAddress, message: { raw: signableHash } })
 */
export const personal_sign: MethodHandler = async (params, context, request) => {
  const [message, address] = Array.isArray(params) ? params : []
  const key = isAddressShape(address) && typeof message === 'string' ? await sessionKeyOf(context, address) : undefined
  if (!key) return context.inner.request(request)
  const signing = context.options.signRequests
  if (signing === undefined) throw notOptedIn(address as `0x${string}`, key.own[0]?.id)
  return signing.personalSign(context, address as `0x${string}`, key, message as string)
}
