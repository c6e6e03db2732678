import type { Address, PublicClient } from 'viem'
import type { PrivateKeyAccount } from 'viem/accounts'
import type { DevWalletDialectName } from './dialects.js'
import type { Relay } from './relay.js'

/** What the approval hook is shown: the stand-in for a wallet's confirmation screen. */
export type ApprovalPrompt = {
  /** The RPC method being confirmed, e.g. `wallet_grantPermissions`. */
  method: string
  /** One line per thing the user agrees to, as a wallet would show it. */
  summary: string
  /** The request's params, as received. */
  params: unknown
}

/**
 * The approval hook: `true` approves, `false` rejects with 4001. Called once per request
 * that needs the user (grants, revocations, owner-signed calls, signatures).
 */
export type Approve = (prompt: ApprovalPrompt) => boolean | Promise<boolean>

/** What every dev wallet method handler sees. */
export type DevWalletContext = {
  chainId: number
  /** The SessionAccount: the wallet's one account. */
  account: Address
  /** The EOA that owns the account; its key never leaves the wallet. */
  owner: PrivateKeyAccount
  dialect: DevWalletDialectName
  publicClient: PublicClient
  relay: Relay
  /** Asks the approval hook; throws 4001 when it says no. */
  ask(prompt: ApprovalPrompt): Promise<void>
  /** Call bundles (`wallet_sendCalls`, `wallet_sendPreparedCalls`) by id: the transaction that carries each. */
  bundles: Map<string, `0x${string}`>
}
