import { isAddressShape } from '../permissions/isAddressShape.js'
import { notOptedIn } from '../permissions/sessionSigning.js'
import { sessionKeyOf } from '../sessions/sessionSigner.js'
import type { MethodHandler } from './types.js'

/**
 * `eth_signTypedData_v4` (EIP-712) from a session key's address. Without a `signing` option it
 * is refused with 4100, unread. With `signing: sessionSigning(…)`, typed data that would
 * authorise calls or spending by the account (an account's `Execute`, a Permit, Permit2,
 * anything addressed to the account or to a contract the session may call) is refused with
 * 4100, always: such calls go through `wallet_sendCalls`, where keyleash checks them against the
 * grant. Other typed data is signed locally only when the app opted in
 * (`sessionSigning({ typedData: true })`), 4100 otherwise. Typed data past `signLimits` (size,
 * values, nesting) is refused with -32602 before it is read. Any other address goes to the
 * wallet untouched.
 *
 * @see https://eips.ethereum.org/EIPS/eip-712
 * @example
 * const provider = withSessionKeys(inner, { signing: sessionSigning({ typedData: true }) })
 * await walletClient.signTypedData({ account: sessionKeyAddress, domain, types, primaryType: 'Login', message })
 */
export const eth_signTypedData_v4: MethodHandler = async (params, context, request) => {
  const [address, payload] = Array.isArray(params) ? params : []
  const key = isAddressShape(address) ? await sessionKeyOf(context, address) : undefined
  if (!key) return context.inner.request(request)
  const signing = context.options.signRequests
  if (signing === undefined) throw notOptedIn(address as `0x${string}`, key.own[0]?.id)
  return signing.signTypedData(context, address as `0x${string}`, key, payload)
}
