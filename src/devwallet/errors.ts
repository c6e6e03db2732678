import { JsonRpcError, errorCodes, providerErrors, rpcErrors } from '@metamask/rpc-errors'
import {
  type Abi,
  BaseError,
  ContractFunctionRevertedError,
  type Hex,
  RpcRequestError,
  decodeErrorResult,
} from 'viem'
import { demoNftAbi, demoTokenAbi, openfortDelegatedAccountAbi, openfortSmartAccountAbi, sessionAccountAbi } from './artifacts.js'

/*
 * The dev wallet's errors: every one carries an integer JSON-RPC code (viem maps it to its
 * classes and never retries it), built on @metamask/rpc-errors as real wallets do.
 */

/** `data` of a revert error: the decoded custom error and the raw revert data. */
export type RevertErrorData = {
  /** Solidity error name, e.g. `SelectorNotAllowed`; `Error`/`Panic` for require/assert; `unknown` if undecodable. */
  errorName: string
  /** The error's arguments, JSON-safe: integers above 2^53 as `0x` hex. */
  args: readonly unknown[]
  /** The raw revert data. */
  data: Hex
  /** For `CallFailed(index, reason)`: the callee's own error, decoded with the demo contracts' ABIs. */
  reason?: { errorName: string; args: readonly unknown[] } | undefined
}

/**
 * 4001: the approval hook (the stand-in for the confirmation screen) said no.
 *
 * @example
 * throw userRejected('wallet_sendCalls') // { code: 4001, message: 'User rejected wallet_sendCalls (approve returned false)' }
 */
export function userRejected(method: string): JsonRpcError<undefined> {
  return providerErrors.userRejectedRequest({ message: `User rejected ${method} (approve returned false)` })
}

/**
 * 4100: the request names an address this wallet cannot act for.
 *
 * @example
 * throw unauthorized('personal_sign', '0x…')
 */
export function unauthorized(method: string, address: string): JsonRpcError<undefined> {
  return providerErrors.unauthorized({
    message: `${method}: ${address} is not an account of this wallet; it signs and sends only for its SessionAccount`,
  })
}

/**
 * 4200: a method this wallet does not speak, with what to use instead when there is something.
 *
 * @example
 * throw unsupportedMethod('eth_sendTransaction', 'use wallet_sendCalls')
 */
export function unsupportedMethod(method: string, hint?: string): JsonRpcError<undefined> {
  return providerErrors.unsupportedMethod({
    message: `the dev wallet does not support ${method}${hint ? `: ${hint}` : ''}`,
  })
}

/**
 * 4900: the wallet was closed.
 *
 * @example
 * throw disconnected()
 */
export function disconnected(): JsonRpcError<undefined> {
  return providerErrors.disconnected({ message: 'the dev wallet is closed (close() was called)' })
}

/**
 * 5730 (ERC-5792 "unknown bundle id"): `wallet_getCallsStatus` for an id this wallet never gave.
 *
 * @example
 * throw unknownBundle('0x1234')
 */
export function unknownBundle(id: string): JsonRpcError<undefined> {
  return new JsonRpcError(5730, `wallet_getCallsStatus: ${JSON.stringify(id)} is not a call bundle id of this wallet`)
}

/**
 * 5720 (ERC-5792 "duplicate id"): `wallet_sendCalls` with an `id` this wallet already used.
 *
 * @example
 * throw duplicateBundle('0x1234')
 */
export function duplicateBundle(id: string): JsonRpcError<undefined> {
  return new JsonRpcError(5720, `wallet_sendCalls: id ${JSON.stringify(id)} was already used for another bundle`)
}

/**
 * 5700 (ERC-5792): a capability the wallet does not support, not marked `optional`.
 *
 * @example
 * throw unsupportedCapability('paymasterService')
 */
export function unsupportedCapability(name: string): JsonRpcError<undefined> {
  return new JsonRpcError(5700, `capabilities.${name}: the dev wallet does not support this capability; send it with optional: true or leave it out`)
}

/**
 * -32003: a transaction the chain refused, as simulated or mined. The message names the decoded
 * custom error the way geth prints reverts (`execution reverted: SelectorNotAllowed(0x…, 0x12345678)`);
 * `data` carries `{ errorName, args, data }`. Errors that are not reverts are returned as coded errors.
 *
 * @example
 * try { await publicClient.estimateContractGas(…) } catch (e) { throw revertError(e) }
 */
export function revertError(error: unknown): JsonRpcError<RevertErrorData> | JsonRpcError<{ cause: string }> {
  const reverted = error instanceof BaseError ? error.walk((e) => e instanceof ContractFunctionRevertedError) : undefined
  if (reverted instanceof ContractFunctionRevertedError) {
    const raw = reverted.raw ?? '0x'
    const errorName = reverted.data?.errorName ?? (reverted.reason !== undefined ? 'Error' : 'unknown')
    const args = reverted.data?.args ?? (reverted.reason !== undefined ? [reverted.reason] : [])
    const data: RevertErrorData = { errorName, args: args.map(jsonSafe), data: raw }
    if (errorName === 'CallFailed' && typeof args[1] === 'string') data.reason = decodeCallee(args[1] as Hex)
    const inner = data.reason ? `: ${data.reason.errorName}(${data.reason.args.map(String).join(', ')})` : ''
    return rpcErrors.transactionRejected({
      message: `execution reverted: ${errorName}(${args.map(format).join(', ')})${inner}`,
      data,
    })
  }
  return toNodeError(error) as JsonRpcError<{ cause: string }>
}

/**
 * An error from the node (through viem) as the node coded it: its own code, message and data,
 * not viem's wrapper (viem turns codes it does not know, like geth's 3, into -1).
 *
 * @example
 * try { await publicClient.request(args) } catch (e) { throw toNodeError(e) }
 */
export function toNodeError(error: unknown): unknown {
  if (!(error instanceof BaseError)) return error
  const node = error.walk((e) => e instanceof RpcRequestError)
  if (node instanceof RpcRequestError) {
    const data = (node as RpcRequestError & { data?: unknown }).data
    return new JsonRpcError(node.code, node.details || node.shortMessage, jsonSafe(data) as never)
  }
  const coded = error.walk((e) => typeof (e as { code?: unknown }).code === 'number' && (e as { code: number }).code !== -1)
  if (coded) return new JsonRpcError((coded as BaseError & { code: number }).code, (coded as BaseError).shortMessage)
  return rpcErrors.internal({ message: error.shortMessage, data: { cause: error.details } })
}

// The demo contracts are what session keys call in the demo and the tests, and an account's
// own functions what its owner's self-calls reach; knowing their errors turns `CallFailed(0, 0x…)`
// into something a person can read.
const calleeAbi = [...demoNftAbi, ...demoTokenAbi, ...sessionAccountAbi, ...openfortSmartAccountAbi, ...openfortDelegatedAccountAbi] as Abi

function decodeCallee(reason: Hex): { errorName: string; args: readonly unknown[] } | undefined {
  if (reason.length < 10) return undefined
  try {
    const decoded = decodeErrorResult({ abi: calleeAbi, data: reason })
    return { errorName: decoded.errorName, args: (decoded.args ?? []).map(jsonSafe) }
  } catch {
    return undefined
  }
}

function format(value: unknown): string {
  return typeof value === 'bigint' ? value.toString() : String(value)
}

/** Integers that JSON cannot hold exactly become hex; the rest stays as viem decoded it. */
function jsonSafe(value: unknown): unknown {
  if (typeof value === 'bigint') return Number.isSafeInteger(Number(value)) ? Number(value) : `0x${value.toString(16)}`
  if (Array.isArray(value)) return value.map(jsonSafe)
  if (typeof value === 'object' && value !== null)
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, jsonSafe(v)]))
  return value
}

function isCoded(error: unknown): error is { code: number; message: string } {
  return typeof error === 'object' && error !== null && Number.isInteger((error as { code?: unknown }).code)
}
