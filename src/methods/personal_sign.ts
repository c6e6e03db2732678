import { notOptedIn } from '../permissions/sessionSigning.js'
import { sessionSigner } from '../sessions/sessionSigner.js'
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
  const found = isAddressShape(address) && typeof message === 'string' ? await sessionSigner(context, address) : undefined
  if (!found) return context.inner.request(request)
  const signing = context.options.signRequests
  if (signing === undefined) throw notOptedIn(address as `0x${string}`, found.sessions[0]?.id)
  return signing.personalSign(found, message as string, address as `0x${string}`)
}
