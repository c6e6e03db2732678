import { rpcErrors } from '@metamask/rpc-errors'
import type { Abi, Account, Address, Chain, Hex, PublicClient, TransactionReceipt, Transport, WalletClient } from 'viem'
import type { PrivateKeyAccount } from 'viem/accounts'
import { sessionAccountAbi } from './artifacts.js'
import { type AccountCall, executeTypedData, randomExecuteNonce } from './contracts.js'
import { revertError } from './errors.js'

/** What {@link createRelay} needs: the chain, the relayer that pays gas, the owner that signs. */
export type RelayParameters = {
  publicClient: PublicClient
  relayerClient: WalletClient<Transport, Chain, Account>
  /** Absent for a relay that only submits batches signed elsewhere (Openfort's backend never holds the owner's key). */
  owner?: PrivateKeyAccount | undefined
  /** The SessionAccount, or an account with the same `execute(calls, nonce, signature)`. */
  account: Address
  chainId: number
  /** The errors of such another account, to name its reverts; default: the SessionAccount's. */
  errors?: Abi | undefined
}

/**
 * Gets `SessionAccount.execute` batches on-chain: the relayer pays the gas, the signature
 * (the owner's or a session key's) is what the account checks.
 */
export type Relay = {
  /**
   * Simulates `execute(calls, nonce, signature)` and, if it would succeed, sends it.
   * Resolves to the transaction hash once the node has it; a revert is a -32003 naming the
   * decoded error, and nothing is sent.
   */
  send(calls: readonly AccountCall[], nonce: bigint, signature: Hex): Promise<Hex>
  /**
   * The owner signs `execute(calls, nonce)` (a fresh random nonce) and the batch is simulated
   * (a revert is a -32003, as for {@link Relay.send}); `send()` then relays it. Simulating
   * first lets a wallet refuse a failing batch before it asks anyone to confirm it.
   */
  prepareAsOwner(calls: readonly AccountCall[]): Promise<{ send(): Promise<Hex> }>
  /** Waits for the receipt, whatever it says. */
  mined(hash: Hex): Promise<TransactionReceipt>
  /** Waits for the receipt; a batch that reverted on-chain is a -32003. */
  confirm(hash: Hex): Promise<TransactionReceipt>
}

/**
 * A relay for one SessionAccount.
 *
 * @example
 * const relay = createRelay({ publicClient, relayerClient, owner, account, chainId: 31337 })
 * const batch = await relay.prepareAsOwner([{ target: nft, value: 0n, data: mintData }])
 * await relay.confirm(await batch.send())
 */
export function createRelay({ publicClient, relayerClient, owner, account, chainId, errors = [] }: RelayParameters): Relay {
  // `execute` is the SessionAccount's; another account's errors only add names to decode.
  const abi = [...sessionAccountAbi, ...errors.filter((item) => item.type === 'error')] as unknown as typeof sessionAccountAbi
  // One relayer, one nonce sequence: sends go out one at a time, each after the node has the
  // previous one, so two batches never take the same relayer nonce. (Receipts are awaited in
  // parallel; anvil mines each transaction as it arrives.)
  let queue: Promise<unknown> = Promise.resolve()
  const inTurn = <T>(task: () => Promise<T>): Promise<T> => {
    const result = queue.then(task)
    queue = result.then(
      () => undefined,
      () => undefined,
    )
    return result
  }

  type Args = readonly [{ target: Address; value: bigint; data: Hex }[], bigint, Hex]
  const toArgs = (calls: readonly AccountCall[], nonce: bigint, signature: Hex): Args => [
    calls.map((c) => ({ target: c.target, value: c.value, data: c.data })),
    nonce,
    signature,
  ]

  // Estimating gas runs the batch: it fails with the revert data when `execute` would revert,
  // and its figure saves the wallet client a second estimate when sending.
  const simulate = async (args: Args): Promise<bigint> => {
    try {
      return await publicClient.estimateContractGas({ address: account, abi, functionName: 'execute', args, account: relayerClient.account })
    } catch (error) {
      throw revertError(error)
    }
  }

  const submit = (args: Args, gas: bigint): Promise<Hex> =>
    inTurn(async () => {
      try {
        return await relayerClient.writeContract({ address: account, abi, functionName: 'execute', args, gas })
      } catch (error) {
        throw revertError(error)
      }
    })

  const relay: Relay = {
    async send(calls, nonce, signature) {
      const args = toArgs(calls, nonce, signature)
      return submit(args, await simulate(args))
    },

    async prepareAsOwner(calls) {
      if (!owner) throw new TypeError('this relay holds no owner key: it submits only batches signed elsewhere')
      const nonce = randomExecuteNonce()
      const signature = await owner.signTypedData(executeTypedData(account, chainId, calls, nonce))
      const args = toArgs(calls, nonce, signature)
      const gas = await simulate(args)
      return { send: () => submit(args, gas) }
    },

    mined(hash) {
      return publicClient.waitForTransactionReceipt({ hash })
    },

    async confirm(hash) {
      const receipt = await relay.mined(hash)
      if (receipt.status !== 'success')
        throw rpcErrors.transactionRejected({ message: `execution reverted on-chain in transaction ${hash}`, data: { transactionHash: hash } })
      return receipt
    },
  }
  return relay
}
