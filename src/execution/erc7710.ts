import {
  type Address,
  type Hex,
  type Transport,
  createPublicClient,
  createWalletClient,
  custom,
  defineChain,
  encodeFunctionData,
  encodePacked,
  isAddress,
  isHex,
  keccak256,
} from 'viem'
import { InternalError, UnauthorizedError } from '../errors.js'
import { transactionCallsStatus } from './callsStatus.js'
import { keyedMutex } from '../sessions/stores/mutex.js'
import type { Executor } from './types.js'

/** Options of {@link erc7710Executor}. */
export type Erc7710ExecutorOptions = {
  /**
   * Where the session key's transaction is prepared and sent (`eth_estimateGas`,
   * `eth_sendRawTransaction` …). Default: the wrapped wallet, which passes them to its node.
   */
  transport?: Transport | undefined
  /** Whether to wait for the receipt and throw if the redemption reverted. Default: `true`. */
  wait?: boolean | undefined
}

// `DelegationManager.redeemDelegations`, the one function of ERC-7710 an executor calls.
const redeemDelegationsAbi = [
  {
    type: 'function',
    name: 'redeemDelegations',
    stateMutability: 'nonpayable',
    inputs: [
      { name: '_permissionContexts', type: 'bytes[]' },
      { name: '_modes', type: 'bytes32[]' },
      { name: '_executionCallDatas', type: 'bytes[]' },
    ],
    outputs: [],
  },
] as const

// ERC-7579 mode: single call, default exec type. MetaMask's token enforcers accept single calls
// only (`CaveatEnforcer:invalid-call-type` for a batch), so several calls are several
// redemptions in one transaction: all of them happen or none does.
const singleMode: Hex = '0x0000000000000000000000000000000000000000000000000000000000000000'

/**
 * ERC-7710: calls under a MetaMask Advanced Permission (a delegation to the session account) are
 * redeemed by the session key itself, after keyleash's scope check: one transaction from the
 * session key to the grant's `delegationManager`, `redeemDelegations` with the grant's context
 * once per call. The DelegationManager checks the delegation's signature and caveats and has the
 * user's account execute the calls.
 *
 * When the account is not deployed yet, the session key first deploys it from the factory the
 * grant named in `dependencies`.
 *
 * Gas is paid by the session key's address, which must hold ETH: fund it after the grant (on the
 * dev chain, `anvil_setBalance`, or `fund(publicClient, sessionKey, parseEther('1'))` from
 * `keyleash/devwallet`). A gas estimate that fails (an enforcer would revert) fails the call before
 * anything is sent, and the usage it reserved is given back; so does a transaction the node
 * refuses and does not know (a nonce another sender took, no funds).
 *
 * A key's transactions are sent one at a time in this process (each reads its nonce after the
 * one before was accepted), so concurrent sends never collide on a nonce; their receipts are
 * awaited together. Processes sharing one key are not ordered with each other.
 *
 * @see https://eips.ethereum.org/EIPS/eip-7710
 * @example
 * import { withSessionKeys } from 'keyleash'
 * import { erc7710Executor, executionPermissions } from 'keyleash/wallets'
 *
 * const provider = withSessionKeys(metamask, { wallet: executionPermissions, executor: erc7710Executor() })
 */
export function erc7710Executor(options: Erc7710ExecutorOptions = {}): Executor {
  const { wait = true } = options
  const execute: Executor = async ({ inner, session, calls, chainId, signer, submitting }) => {
    if (signer.type !== 'local') throw new InternalError(secp256k1Only, { context: session.id })
    const manager = session.walletData?.delegationManager
    if (typeof manager !== 'string' || !isAddress(manager))
      throw new UnauthorizedError(`session ${session.id} has no delegationManager: it was not granted as an ERC-7710 delegation`, { context: session.id })
    if (!isHex(session.id)) throw new UnauthorizedError(`session ${session.id} has no ERC-7710 permission context`, { context: session.id })
    const chain = defineChain({ id: chainId, name: `chain ${chainId}`, nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 }, rpcUrls: { default: { http: [] } } })
    const transport = options.transport ?? custom(inner)
    const wallet = createWalletClient({ account: signer, chain, transport })
    const reader = createPublicClient({ chain, transport, pollingInterval: 50 })
    // One key's transactions take its nonces in turn: concurrent sends would all read the
    // same pending nonce, and all but one would fail. The receipt is awaited outside the turn.
    const hash = await turns.run(`${chainId}:${signer.address.toLowerCase()}`, async () => {
      // A counterfactual account (the grant named its factory in `dependencies`) is deployed first:
      // the DelegationManager has it execute the calls. Deploying is not the calls: no usage rides on it.
      const dependencies = (session.walletData?.dependencies ?? []) as readonly { factory: Address; factoryData: Hex }[]
      if (dependencies.length > 0 && !(await reader.getCode({ address: session.account }))) {
        for (const { factory, factoryData } of dependencies) {
          const deployed = await wallet.sendTransaction({ to: factory, data: factoryData })
          if ((await reader.waitForTransactionReceipt({ hash: deployed })).status !== 'success')
            throw new InternalError(`deploying account ${session.account} from its factory ${factory} reverted (transaction ${deployed})`, { context: session.id })
        }
      }
      const data = encodeFunctionData({
        abi: redeemDelegationsAbi,
        functionName: 'redeemDelegations',
        args: [
          calls.map(() => session.id as Hex),
          calls.map(() => singleMode),
          calls.map(({ to, data = '0x', value = 0n }) => encodePacked(['address', 'uint256', 'bytes'], [to, value, data])),
        ],
      })
      let request
      try {
        request = await wallet.prepareTransactionRequest({ to: manager as Address, data })
      } catch (error) {
        throw new UnauthorizedError(`the redemption under session ${label(session.id)} cannot be sent: ${reason(error)}`, {
          context: session.id,
          hint: `an enforcer reverts it, or the session key ${signer.address} has no ETH for gas (it pays: fund it)`,
        })
      }
      const signed = await wallet.signTransaction(request)
      const sent = keccak256(signed)
      try {
        await wallet.sendRawTransaction({ serializedTransaction: signed })
      } catch (error) {
        // Refused by the node (a nonce taken, no funds): it never reached the chain, and the
        // usage it reserved is given back. Only one the node knows of may still execute.
        if ((await known(reader, sent)) !== false) submitting()
        throw error
      }
      submitting()
      return sent
    })
    if (wait) {
      const receipt = await reader.waitForTransactionReceipt({ hash })
      if (receipt.status !== 'success') throw new InternalError(`the redemption under session ${label(session.id)} reverted (transaction ${hash})`, { context: session.id })
    }
    return { id: hash }
  }
  // The id is the redemption's transaction hash: the wallet never saw it, the chain answers.
  execute.getCallsStatus = ({ id, chainId, inner }) => transactionCallsStatus(options.transport ?? custom(inner), id as Hex, chainId)
  return Object.assign(execute, { secp256k1Only })
}

const secp256k1Only =
  "erc7710Executor redeems the delegation as the session key itself, sending a transaction from its address, which only a secp256k1 key has; grant with keyType 'secp256k1' (the default)"

// One key's transactions (by chain and address) go in turn in this process: each takes the next nonce.
const turns = keyedMutex()

/** Whether the node knows transaction `hash`: `undefined` when it cannot be asked (then it may have been sent). */
async function known(reader: { request: (args: { method: 'eth_getTransactionByHash'; params: [Hex] }) => Promise<unknown> }, hash: Hex): Promise<boolean | undefined> {
  try {
    return (await reader.request({ method: 'eth_getTransactionByHash', params: [hash] })) !== null
  } catch {
    return undefined
  }
}

/** A permission context is a whole delegation chain: its start names it in a sentence, `data.context` holds it. */
function label(context: string): string {
  return context.length > 18 ? `${context.slice(0, 18)}…` : context
}

/** viem's short message of a failed estimate: it carries the enforcer's revert string. */
function reason(error: unknown): string {
  const details = (error as { details?: unknown; shortMessage?: unknown }) ?? {}
  return String(details.details ?? details.shortMessage ?? error)
}
