import {
  type Address,
  type Hex,
  type LocalAccount,
  type PublicClient,
  type RpcTransactionReceipt,
  type TransactionReceipt,
  type Transport,
  WaitForTransactionReceiptTimeoutError,
  createWalletClient,
  encodeFunctionData,
  http,
  isHex,
  keccak256,
  parseEventLogs,
} from 'viem'
import {
  type UserOperation,
  entryPoint06Abi,
  entryPoint07Abi,
  formatUserOperationRequest,
  getUserOperationHash,
  toPackedUserOperation,
} from 'viem/account-abstraction'
import { InternalError, InvalidParamsError, messageOf, UnauthorizedError } from '../errors.js'
import type { ScopeCall } from '../permissions/scope.js'
import { aaError } from './aaErrors.js'
import { chainClients } from './chainClients.js'
import { callsStatusOf } from './callsStatus.js'
import { keyedMutex } from '../sessions/stores/mutex.js'
import type { CallsStatus, Executor } from './types.js'

/**
 * What the executor needs to know of an account family (its folder says it, as permissionless.js
 * keeps one per account): where it validates, how it encodes calls, how a session key signs.
 */
export type Erc4337Account = {
  /** The EntryPoint the account validates UserOperations on. */
  entryPoint: { address: Address; version: '0.6' | '0.7' }
  /**
   * Whether the account takes any ERC-4337 nonce key (the EntryPoint's 2D nonces): each send then
   * uses a key of its own and concurrent sends never share a nonce. Otherwise sends from one
   * account go one at a time, each after the one before is on chain or failed.
   */
  parallelNonces: boolean
  /** The account's `callData` for the calls (its `execute` / `executeBatch`). */
  encodeCalls(calls: readonly ScopeCall[]): Hex
  /** A signature of the real one's shape, for gas estimation. */
  dummySignature: Hex
  /**
   * The verification gas the UserOperation takes, from the bundler's estimate (made with
   * `dummySignature`), for an account whose validation of the session key's real signature costs
   * more than of the dummy's. Applied before the hash is signed. Default: the estimate.
   */
  verificationGasLimit?: ((estimate: bigint, calls: readonly ScopeCall[]) => bigint) | undefined
  /** The session key's signature of a UserOperation hash, as the account's validation reads it. */
  signUserOperationHash(hash: Hex, signer: LocalAccount): Promise<Hex>
}

/** Options of {@link erc4337Executor}: a `bundler`, or a `relayer` that sends `handleOps` itself. */
export type Erc4337ExecutorOptions = {
  /** The account family: `thirdwebAccount()` from `keyleash/wallets`, or your own. */
  account: Erc4337Account
  /** The bundler's URL (or a viem transport to it): `eth_estimateUserOperationGas`, `eth_sendUserOperation`, `eth_getUserOperationReceipt`. */
  bundler?: string | Transport | undefined
  /** With no bundler: the account that sends `handleOps` to the EntryPoint and pays its gas (the account refunds it, as to a bundler). */
  relayer?: LocalAccount | undefined
  /** Where the chain is read (nonce, fees) and the relayer's transaction is sent. Default: the wrapped wallet. */
  transport?: Transport | undefined
  /** How long to wait for a UserOperation to be on chain, in ms. Default: 60 000. */
  timeoutMs?: number | undefined
}

// Gas limits for `handleOps` from a relayer, where no bundler estimates: validation of a session
// key (thirdweb's `isValidSigner` walks its targets) stays far below; the account pays only what is used.
const relayedVerificationGas = 500_000n
const relayedPreVerificationGas = 60_000n
const pollInterval = 100

/**
 * ERC-4337: calls under a session are sent as a UserOperation the session key signs, for accounts
 * whose session keys are their own (thirdweb's, Safe / Kernel / Nexus with their modules), on
 * EntryPoint v0.6 or v0.7 (packed). Through a bundler (`bundler`), or with none by `handleOps`
 * from a `relayer` the app names. The calls id is the UserOperation hash; keyleash answers
 * `wallet_getCallsStatus` for it from the UserOperation's receipt. An `AAxx` error from the
 * bundler or the EntryPoint becomes a coded error that says what happened and what to do
 * (`AA24`: the account refused the session key's signature). The usage the send reserved is given
 * back only when the bundler or the node refused the UserOperation before anyone could have seen
 * it; once it may have left (no answer came, or `handleOps` reverted and left it signed and valid)
 * the usage stays reserved, and the error names the calls id to ask `wallet_getCallsStatus` about.
 *
 * @see https://eips.ethereum.org/EIPS/eip-4337
 * @example
 * import { withSessionKeys } from 'keyleash'
 * import { erc4337Executor, thirdweb, thirdwebAccount } from 'keyleash/wallets'
 *
 * const executor = erc4337Executor({ account: thirdwebAccount(), bundler: 'https://bundler.example/rpc' })
 * const provider = withSessionKeys(ownerWallet, { executor, wallet: thirdweb(), account: smartAccountAddress })
 */
export function erc4337Executor(options: Erc4337ExecutorOptions): Executor {
  const { account: family, relayer, timeoutMs = 60_000 } = options
  if ((options.bundler === undefined) === (relayer === undefined))
    throw new InvalidParamsError('executor', 'erc4337Executor needs a bundler (its URL) or a relayer (the account that sends handleOps), one of them')
  const bundler = typeof options.bundler === 'string' ? http(options.bundler, { retryCount: 0 }) : options.bundler
  const { address: entryPoint, version } = family.entryPoint
  const abi = version === '0.6' ? entryPoint06Abi : entryPoint07Abi
  // The relayer's transactions, by the UserOperation they carried: its status is read from them.
  const relayed = new Map<Hex, Hex>()
  const queues = keyedMutex()

  const clientsOf = (inner: Parameters<Executor>[0]['inner'], chainId: number) => chainClients(inner, chainId, options.transport, pollInterval)

  const execute: Executor = ({ inner, session, calls, chainId, signer, submitting, refused = ignore, sentAs = ignore }) => {
    if (signer.type !== 'local') throw new UnauthorizedError(secp256k1Only, { context: session.id })
    const { chain, transport, reader } = clientsOf(inner, chainId)
    const context = session.id
    const send = async (): Promise<{ id: string }> => {
      const sender = session.account
      const key = family.parallelNonces ? randomNonceKey() : 0n
      const [nonce, fees] = await Promise.all([
        reader.readContract({ address: entryPoint, abi, functionName: 'getNonce', args: [sender, key] }),
        reader.estimateFeesPerGas(),
      ])
      const callData = family.encodeCalls(calls)
      const draft = { sender, nonce, callData, maxFeePerGas: fees.maxFeePerGas, maxPriorityFeePerGas: fees.maxPriorityFeePerGas, ...(version === '0.6' ? { initCode: '0x' as Hex, paymasterAndData: '0x' as Hex } : {}) }
      const gas = bundler ? await estimate(draft) : await relayedGas(reader, sender, callData)
      if (bundler && family.verificationGasLimit) gas.verificationGasLimit = family.verificationGasLimit(gas.verificationGasLimit, calls)
      const userOperation = { ...draft, ...gas, signature: '0x' as Hex } as UserOperation
      const hash = getUserOperationHash({ chainId, entryPointAddress: entryPoint, entryPointVersion: version, userOperation } as Parameters<typeof getUserOperationHash>[0])
      userOperation.signature = await family.signUserOperationHash(hash, signer)
      const id = bundler ? await sendToBundler(userOperation, hash) : await sendByRelayer(userOperation, hash)
      await landed(id)
      return { id }
    }

    const estimate = async (draft: Record<string, unknown>) => {
      const request = bundler!({ chain: undefined, retryCount: 0 }).request
      try {
        const gas = (await request({ method: 'eth_estimateUserOperationGas', params: [formatUserOperationRequest({ ...draft, signature: family.dummySignature } as UserOperation), entryPoint] })) as Record<string, Hex | undefined>
        const field = (name: string) => BigInt(gas[name] ?? '0x0')
        return { callGasLimit: field('callGasLimit'), verificationGasLimit: field('verificationGasLimit'), preVerificationGas: field('preVerificationGas') }
      } catch (error) {
        throw failure(error, context, 'the bundler could not estimate the UserOperation')
      }
    }

    const relayedGas = async (client: PublicClient, sender: Address, callData: Hex) => {
      let callGasLimit: bigint
      try {
        // The EntryPoint calls the account: estimated as that call.
        callGasLimit = ((await client.estimateGas({ account: entryPoint, to: sender, data: callData })) * 6n) / 5n
      } catch (error) {
        throw failure(error, context, 'the account\'s calls revert')
      }
      return { callGasLimit, verificationGasLimit: relayedVerificationGas, preVerificationGas: relayedPreVerificationGas }
    }

    const sendToBundler = async (userOperation: UserOperation, hash: Hex): Promise<Hex> => {
      const request = bundler!({ chain: undefined, retryCount: 0 }).request
      submitting()
      let id: Hex
      try {
        id = (await request({ method: 'eth_sendUserOperation', params: [formatUserOperationRequest(userOperation), entryPoint] })) as Hex
      } catch (error) {
        // An answer that is an error, or no connection at all: it is in no mempool.
        if (answerCodeOf(error) !== undefined || unreachable(error)) {
          refused()
          throw failure(error, context, 'the bundler refused the UserOperation')
        }
        // A connection and no answer: the bundler may hold it, under the hash it would have answered.
        sentAs(hash)
        throw new InternalError(`the bundler may hold the UserOperation but gave no answer: ${messageOf(error)}`, { context, id: hash, hint: 'ask wallet_getCallsStatus about it later' })
      }
      sentAs(id)
      return id
    }

    const sendByRelayer = async (userOperation: UserOperation, id: Hex): Promise<Hex> => {
      const ops = [version === '0.6' ? userOperation : toPackedUserOperation(userOperation)]
      try {
        // Simulated before anything leaves: an AA error here costs nothing and sends nothing.
        await reader.simulateContract({ address: entryPoint, abi: abi as typeof entryPoint06Abi, functionName: 'handleOps', args: [ops as never, relayer!.address], account: relayer! })
      } catch (error) {
        throw failure(error, context, `handleOps from the relayer ${relayer!.address} fails`)
      }
      const data = encodeFunctionData({ abi: abi as typeof entryPoint06Abi, functionName: 'handleOps', args: [ops as never, relayer!.address] })
      // The relayer's nonce is read when its transaction is prepared: sends through one relayer
      // take turns from preparing to the node's answer, or two would take the same nonce. The
      // wait for the receipt is no part of a turn.
      const transaction = await queues.run(`relayer:${chainId}:${relayer!.address.toLowerCase()}`, () => relay(data, id))
      let receipt: TransactionReceipt
      try {
        receipt = await reader.waitForTransactionReceipt({ hash: transaction, timeout: timeoutMs })
      } catch (error) {
        if (error instanceof WaitForTransactionReceiptTimeoutError) throw notLanded(id, { transaction })
        throw receiptUnread(error, id)
      }
      if (receipt.status !== 'success')
        // No UserOperation in it ran, but the signed one is public now and valid until the session
        // ends (or its nonce is used): anyone may send it again, so what it may spend stays counted.
        throw new InternalError(`handleOps from the relayer ${relayer!.address} reverted; the calls did not run, but the signed UserOperation stays valid until the session ends (anyone may send it again), so its usage stays reserved`, {
          context,
          id,
          transaction,
          hint: 'data.transaction says why; revoking the session key at the account voids the UserOperation',
        })
      return id
    }

    /** The relayer's `handleOps` transaction, prepared, signed and sent: its hash once it may be in a mempool. */
    const relay = async (data: Hex, id: Hex): Promise<Hex> => {
      const wallet = createWalletClient({ account: relayer!, chain, transport })
      let signed: Hex
      try {
        signed = await wallet.signTransaction(await wallet.prepareTransactionRequest({ to: entryPoint, data }))
      } catch (error) {
        throw failure(error, context, `the relayer ${relayer!.address} cannot send handleOps (does it hold ETH for gas?)`)
      }
      const transaction = keccak256(signed)
      submitting()
      let lost: { error: unknown } | undefined
      try {
        await wallet.sendRawTransaction({ serializedTransaction: signed })
      } catch (error) {
        if (await refusedByNode(error, transaction)) {
          refused()
          throw failure(error, context, `the relayer ${relayer!.address} could not send handleOps`)
        }
        // The node may have taken it and the answer been lost: from here it is read as sent.
        lost = { error }
      }
      relayed.set(id, transaction)
      sentAs(id)
      if (lost !== undefined)
        throw new InternalError(`the relayer ${relayer!.address} sent handleOps and had no answer: ${messageOf(lost.error)}`, {
          context,
          id,
          transaction,
          hint: 'ask wallet_getCallsStatus about it later; the usage stays reserved, as the UserOperation may be on chain',
        })
      return transaction
    }

    /**
     * Whether the node said no to the relayer's transaction, so it reached no mempool: nothing
     * listened, or the node answered with a code of its own (not -32603, which a wallet in
     * between answers for a failure of its own, maybe after the node took it) and does not hold
     * the transaction. The look-up catches a transport's retry that met "already known" after an
     * attempt whose answer was lost.
     */
    const refusedByNode = async (error: unknown, transaction: Hex): Promise<boolean> => {
      if (unreachable(error)) return true
      const code = answerCodeOf(error)
      if (code === undefined || code === InternalError.code) return false
      try {
        return (await reader.request({ method: 'eth_getTransactionByHash', params: [transaction] })) === null
      } catch {
        return false
      }
    }

    const landed = async (id: Hex): Promise<void> => {
      const deadline = Date.now() + timeoutMs
      for (;;) {
        let status: CallsStatus
        try {
          status = await statusOf(id, chainId, reader)
        } catch (error) {
          // Sent, so it may land whatever the bundler does now: the usage stays reserved.
          throw receiptUnread(error, id)
        }
        if (status.status === 200) return
        if (status.status === 500)
          throw new InternalError(`UserOperation ${id} is on chain (transaction ${status.receipts?.[0]?.transactionHash}) but the account's calls reverted`, { context, id })
        if (Date.now() > deadline) throw notLanded(id)
        await new Promise((resolve) => setTimeout(resolve, pollInterval))
      }
    }

    const notLanded = (id: Hex, data: { transaction?: Hex } = {}) =>
      new InternalError(`the UserOperation was sent but is not on chain after ${timeoutMs} ms`, { context, id, ...data, hint: 'ask wallet_getCallsStatus about it later' })
    const receiptUnread = (error: unknown, id: Hex) =>
      new InternalError(`the UserOperation was sent, its receipt not read: ${unreachable(error) ?? messageOf(error)}`, { context, id, hint: 'ask wallet_getCallsStatus later' })

    // Accounts with one nonce sequence: a send waits for the one before it to be settled.
    if (family.parallelNonces) return send()
    return queues.run(`${chainId}:${session.account.toLowerCase()}`, send)
  }

  const statusOf = async (id: Hex, chainId: number, reader: PublicClient): Promise<CallsStatus> => {
    if (bundler) {
      const receipt = (await bundler({ chain: undefined, retryCount: 0 }).request({ method: 'eth_getUserOperationReceipt', params: [id] })) as {
        success: boolean
        logs: RpcTransactionReceipt['logs']
        receipt: RpcTransactionReceipt
      } | null
      return callsStatusOf(id, chainId, receipt ? { kind: 'mined', success: receipt.success, receipt: receipt.receipt, logs: receipt.logs } : { kind: 'pending' })
    }
    const transaction = relayed.get(id)
    if (transaction === undefined) return callsStatusOf(id, chainId, { kind: 'pending' })
    const receipt = (await reader.request({ method: 'eth_getTransactionReceipt', params: [transaction] })) as RpcTransactionReceipt | null
    if (!receipt) return callsStatusOf(id, chainId, { kind: 'pending' })
    // Only topics and data are read: the node's logs as they are.
    const [event] = parseEventLogs({ abi, eventName: 'UserOperationEvent', logs: receipt.logs as never }).filter((log) => (log.args as { userOpHash: Hex }).userOpHash === id)
    return callsStatusOf(id, chainId, { kind: 'mined', success: (event?.args as { success?: boolean } | undefined)?.success === true, receipt })
  }

  execute.getCallsStatus = ({ id, chainId, inner }) => {
    if (!isHex(id)) throw new InvalidParamsError('params[0]', 'must be a UserOperation hash')
    return statusOf(id, chainId, clientsOf(inner, chainId).reader)
  }
  return Object.assign(execute, { secp256k1Only })
}

const secp256k1Only =
  "the ERC-4337 accounts erc4337Executor knows (thirdweb's) check a secp256k1 session key's signature, by its address; grant with keyType 'secp256k1' (the default)"

// ERC-7769's bundler error codes that stand for an AA code without always saying it (alto
// answers a refused session key with -32507 and no "AA24" in its message).
const bundlerCodes: Readonly<Record<number, string>> = { [-32507]: 'AA24', [-32503]: 'AA22' }

/** An AA error as keyleash's coded error, or what else went wrong, said with `doing`. */
function failure(error: unknown, context: string, doing: string) {
  const down = unreachable(error)
  if (down) return new InternalError(`${doing}: ${down}`, { context, hint: 'nothing was sent; start the bundler' })
  const message = messageOf(error)
  const code = bundlerCodes[answerCodeOf(error) ?? 0]
  return aaError(code === undefined ? message : `${code} ${message}`, context) ?? new InternalError(`${doing}: ${message}`, { context })
}

type Cause = { code?: unknown; message?: unknown }

/** The first of the error and its causes that `is` accepts: viem wraps the answer's code, Node's fetch the socket's. */
function causeWith(error: unknown, is: (cause: Cause) => boolean): Cause | undefined {
  for (let at = error; typeof at === 'object' && at !== null; at = (at as { cause?: unknown }).cause) if (is(at as Cause)) return at as Cause
  return undefined
}

/**
 * The JSON-RPC code of the answer, under viem's wrapping (`undefined`: no answer came); not
 * `errors.ts`'s `codeOf`, which reads a thrown keyleash error and falls back to -32603. viem's
 * -1 (`UnknownRpcError`) is skipped: it says the error came with no code (a `custom` transport's
 * provider threw), and a code it wraps is below it.
 */
function answerCodeOf(error: unknown): number | undefined {
  return causeWith(error, ({ code }) => typeof code === 'number' && code !== unknownRpcCode)?.code as number | undefined
}

const unknownRpcCode = -1

/** The socket's error (`connect ECONNREFUSED 127.0.0.1:4337`) when the request never connected, so reached no one. */
function unreachable(error: unknown): string | undefined {
  const socket = causeWith(error, ({ code }) => code === 'ECONNREFUSED' || code === 'ENOTFOUND')
  return socket && `nothing answers (${socket.message})`
}

/** A random 192-bit ERC-4337 nonce key: a nonce sequence of this send's own. */
function randomNonceKey(): bigint {
  const bytes = crypto.getRandomValues(new Uint8Array(24))
  return bytes.reduce((key, byte) => (key << 8n) | BigInt(byte), 0n)
}

function ignore(): void {}
