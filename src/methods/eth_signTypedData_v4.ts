import type { TypedDataDefinition } from 'viem'
import { UnauthorizedError } from '../errors.js'
import { isAddressShape } from '../permissions/isAddressShape.js'
import { authorisation, readSignableTypedData } from '../permissions/signRequest.js'
import { assertOptedIn, sessionSigner } from '../sessions/sessionSigner.js'
import type { MethodHandler } from './types.js'

/**
 * `eth_signTypedData_v4` (EIP-712) from a session key's address. Typed data that would
 * authorise calls or spending by the account (an account's `Execute`, a Permit, Permit2, anything
 * addressed to the account or to a contract the session may call) is refused with 4100, always:
 * such calls go through `wallet_sendCalls`, where keyleash checks them against the grant. Other
 * typed data is signed locally only when the app opted in (`signing: { typedData: true }`), 4100
 * otherwise. Typed data past `signLimits` (size, values, nesting) is refused with -32602
 * before it is read. Any other address goes to the wallet untouched.
 *
 * @see https://eips.ethereum.org/EIPS/eip-712
 * @example
 * const provider = withSessionKeys(inner, { signing: { typedData: true } })
 * await walletClient.signTypedData({ account: sessionKeyAddress, domain, types, primaryType: 'Login', message })
 */
export const eth_signTypedData_v4: MethodHandler = async (params, context, request) => {
  const [address, payload] = Array.isArray(params) ? params : []
  const found = isAddressShape(address) ? await sessionSigner(context, address) : undefined
  if (!found) return context.inner.request(request)
  const typedData = readSignableTypedData(payload, 'params[1]')
  const why = authorisation(typedData, found.sessions)
  if (why !== undefined)
    throw new UnauthorizedError(`${address} is a session key, and this typed data would authorise calls or spending by the account: ${why}. A session key signs those only for calls keyleash has checked`, {
      field: 'params[1]',
      context: found.sessions[0]?.id,
      hint: "send the calls with wallet_sendCalls and the session's context; keyleash checks them against the grant and signs what the wallet prepares",
    })
  assertOptedIn(context, found, 'typedData', address as `0x${string}`)
  const { domain, types, primaryType, message } = typedData
  // viem derives the domain's type from the domain itself.
  const { EIP712Domain: _, ...rest } = types
  return found.signer.signTypedData({ domain, types: rest, primaryType, message } as TypedDataDefinition)
}
