import { UnauthorizedError } from '../errors.js'
import { readCalls } from '../permissions/calls.js'
import { readAddress, readArray, readChainId, readObject, readString } from '../permissions/read.js'
import { runInSession } from '../sessions/use.js'
import { accountScope, inScope } from '../sessions/accountScope.js'
import { notHeld } from '../sessions/find.js'
import { notConnected } from '../walletState.js'
import type { MethodHandler } from './types.js'

/**
 * `wallet_sendCalls` (ERC-5792). With `capabilities.permissions.context` (ERC-7715 over
 * ERC-5792) the calls are checked against that session, refused with 4100 and a reason per
 * call when they do not fit, and otherwise signed with the session key: no prompt. Without
 * a context, and with `autoRoute: autoRouting()`, a live session that covers every call signs them. The calls
 * are `from`'s, or the provider's account's when no `from` is given: a context of a session of
 * another account (a store shared by several users) is a 4100, never signed. Anything else, or
 * a context keyleash did not grant, goes to the wallet untouched.
 *
 * @see https://eips.ethereum.org/EIPS/eip-5792
 * @example
 * await provider.request({ method: 'wallet_sendCalls', params: [{ version: '2.0.0', chainId: '0x7a69', atomicRequired: true, calls, capabilities: { permissions: { context } } }] })
 */
export const wallet_sendCalls: MethodHandler = async (params, context, request) => {
  const forward = () => context.inner.request(request)
  const permissionsContext = contextOf(params)
  const autoRoute = context.options.autoRoute
  if (permissionsContext === undefined && autoRoute === undefined) return forward()

  const body = readObject(readArray(params, 'params')[0], 'params[0]')
  // A contract creation (a call without `to`) is no session's to sign: routed, it is the wallet's.
  if (permissionsContext === undefined && Array.isArray(body.calls) && body.calls.some((call: unknown) => (call as { to?: unknown } | null)?.to == null)) return forward()
  const calls = readCalls(body.calls, 'params[0].calls')
  const chainId = readChainId(body.chainId, 'params[0].chainId')
  const from = body.from === undefined ? undefined : readAddress(body.from, 'params[0].from')

  // Whose calls these are: the `from` given, or the provider's account (the wallet's, or the `account` option).
  // Asked once per send: the wallet's accounts are a request to it, and this is the hot path.
  const accounts = await accountScope(context)
  const account = from ?? accounts[0]
  if (account === undefined) throw notConnected()
  if (permissionsContext === undefined) {
    const session = await autoRoute?.pick(context, chainId, account, calls)
    return session ? runInSession(context, session, calls, chainId) : forward()
  }
  const field = 'params[0].capabilities.permissions.context'
  const id = readString(permissionsContext, field)
  const session = await context.store.get(id)
  // Another user's session on a shared store is answered as none, never signed, whatever `from` says.
  if (!session || !inScope(accounts, session)) throw notHeld(field, id)
  if (account.toLowerCase() !== session.account.toLowerCase())
    throw new UnauthorizedError(`params[0].from: ${account}${from === undefined ? ' (the wallet\'s account; no from was given)' : ''} is not the account of session ${session.id} (${session.account})`, {
      field: 'params[0].from',
      context: session.id,
    })
  // The wallet holds this session's key (viem's JSON-RPC accounts grant so): the wallet signs, under its own context.
  if (session.signer.type === 'wallet') return forward()
  return runInSession(context, session, calls, chainId)
}

function contextOf(params: unknown): unknown {
  const request: unknown = Array.isArray(params) ? params[0] : undefined
  const capabilities = (request as { capabilities?: unknown } | undefined)?.capabilities
  const permissions = (capabilities as { permissions?: unknown } | undefined)?.permissions
  return (permissions as { context?: unknown } | undefined)?.context
}
