import { type Address, type Chain, type Hex, type LocalAccount, type PublicClient, type Transport, createWalletClient } from 'viem'
import { InternalError, messageOf, UnauthorizedError } from '../errors.js'
import type { WalletCallContext, WalletGrant } from '../permissions/dialects/types.js'
import type { Eip1193Provider } from '../types.js'

/** Where an account's admin call is sent from, and how long its receipt is waited for. */
export type AdminTransactionParameters = {
  /** The call: to the account, its calldata. */
  to: Address
  data: Hex
  /** What the call does, for messages (`setPermissionsForSigner`). */
  doing: string
  /** The inner wallet, which sends from `owner` (one prompt) when there is no relayer. */
  inner: Eip1193Provider
  owner: Address
  /** A funded account the app names that sends the call instead (anyone may, with the owner's signature in it). */
  relayer: LocalAccount | undefined
  reader: PublicClient
  chain: Chain
  transport: Transport
  timeoutMs: number
  /** Called once the call is, or may be, on chain: before a failure whose outcome is unknown is thrown. */
  onChain?: (() => void) | undefined
}

/**
 * Sends a call an account's admin has signed for, from the owner's wallet (`eth_sendTransaction`)
 * or from the app's relayer, and waits for it to succeed. It is simulated first, so a call the
 * account would refuse costs no prompt and sends nothing. Resolves to the transaction hash;
 * rejects with the wallet's own error (4001 when the owner declines) or a -32603 that says what
 * happened: a relayer without funds, a revert, no receipt in time (`onChain` was called then).
 *
 * @example
 * const hash = await sendAdminTransaction({ to: account, data, doing: 'setPermissionsForSigner', inner, owner, relayer, reader, chain, transport, timeoutMs: 60_000 })
 */
export async function sendAdminTransaction(parameters: AdminTransactionParameters): Promise<Hex> {
  const { to, data, doing, inner, owner, relayer, reader, chain, transport, timeoutMs, onChain } = parameters
  const from = relayer?.address ?? owner
  try {
    await reader.call({ account: from, to, data })
  } catch (error) {
    throw new InternalError(`${doing} would revert on the account ${to}: ${messageOf(error)}`, { hint: 'nothing was sent' })
  }
  let hash: Hex
  if (relayer) {
    try {
      hash = await createWalletClient({ account: relayer, chain, transport }).sendTransaction({ to, data })
    } catch (error) {
      throw new InternalError(`the relayer ${relayer.address} could not send ${doing}: ${messageOf(error)}`, { hint: `fund the relayer ${relayer.address} with ETH for gas; nothing was sent` })
    }
  } else hash = (await inner.request({ method: 'eth_sendTransaction', params: [{ from: owner, to, data }] })) as Hex
  let status: 'success' | 'reverted'
  try {
    ;({ status } = await reader.waitForTransactionReceipt({ hash, timeout: timeoutMs }))
  } catch (error) {
    onChain?.()
    throw new InternalError(`${doing} was sent (transaction ${hash}) but its receipt was not read: ${messageOf(error)}`, { transaction: hash })
  }
  if (status !== 'success') throw new InternalError(`${doing} reverted on chain (transaction ${hash}): the account is unchanged`, { transaction: hash })
  onChain?.()
  return hash
}

/**
 * Before a dialect's own revoke: the wallet is on the grant's chain (an admin call on another
 * chain would change another account, or none).
 *
 * @example
 * assertRevokeChain(grant, context)
 */
export function assertRevokeChain(grant: WalletGrant, context: WalletCallContext): void {
  if (grant.chainId !== context.chainId)
    throw new UnauthorizedError(`the session is on chain ${grant.chainId} and the wallet on ${context.chainId}; switch the wallet's chain to revoke it`, { context: grant.id })
}

