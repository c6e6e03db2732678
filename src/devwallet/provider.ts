import { SafeEmitter, listenerMethods } from '../emitter.js'
import { numberToHex, type EIP1193RequestFn } from 'viem'
import { InvalidRequestError, toRpcError } from '../errors.js'
import type { RequestArguments } from '../types.js'
import { getCallsStatus, sendCalls } from './calls.js'
import type { DevWalletContext } from './context.js'
import { disconnected, toNodeError, unsupportedMethod } from './errors.js'
import { devWalletDialects } from './dialects.js'
import { grant, revoke } from './grants.js'
import { prepareCalls, sendPreparedCalls } from './prepared.js'
import { personalSign, signTypedDataV4 } from './signing.js'

/**
 * The dev wallet's EIP-1193 provider: enough for viem's `custom()` transport and wagmi's
 * injected connector. It emits no events unless {@link DevWalletProvider.emit} is called.
 */
export type DevWalletProvider = {
  /**
   * EIP-1193 `request`: the methods the wallet answers itself, reads passed to the chain, 4200
   * for the rest. Typed as viem's, so the provider is taken wherever viem's or wagmi's
   * EIP-1193 provider is (`custom()`, `injected({ target })`).
   */
  request: EIP1193RequestFn
  /** Adds a listener of an EIP-1193 event. */
  on(event: string, listener: (...args: unknown[]) => void): DevWalletProvider
  /** Adds a listener for the next event only. */
  once(event: string, listener: (...args: unknown[]) => void): DevWalletProvider
  /** Removes a listener. */
  removeListener(event: string, listener: (...args: unknown[]) => void): DevWalletProvider
  /** Emits an EIP-1193 event (`accountsChanged`, `chainChanged`, …) to the listeners, for tests of event handling. */
  emit(event: string, ...args: unknown[]): void
}

type Handler = (params: unknown, context: DevWalletContext, method: string) => Promise<unknown>

/** Every method the wallet answers itself; reads go to the node; anything else is 4200. */
const handlers: Readonly<Record<string, Handler>> = {
  eth_chainId: async (_, context) => numberToHex(context.chainId),
  eth_accounts: async (_, context) => [context.account],
  eth_requestAccounts: async (_, context) => [context.account],
  wallet_getCapabilities: async (_, context) => capabilities(context),
  wallet_grantPermissions: (params, context, method) => grant(method, params, context),
  wallet_requestExecutionPermissions: (params, context, method) => grant(method, params, context),
  wallet_revokePermissions: (params, context, method) => revoke(method, params, context),
  wallet_revokeExecutionPermission: (params, context, method) => revoke(method, params, context),
  wallet_sendCalls: sendCalls,
  wallet_getCallsStatus: getCallsStatus,
  wallet_prepareCalls: prepareCalls,
  wallet_sendPreparedCalls: sendPreparedCalls,
  personal_sign: personalSign,
  eth_signTypedData_v4: signTypedDataV4,
}

/** Reads passed to the node as they are: nothing here signs, sends or changes the node. */
const reads = new Set([
  'eth_blockNumber',
  'eth_call',
  'eth_estimateGas',
  'eth_feeHistory',
  'eth_gasPrice',
  'eth_getBalance',
  'eth_getBlockByHash',
  'eth_getBlockByNumber',
  'eth_getCode',
  'eth_getLogs',
  'eth_getStorageAt',
  'eth_getTransactionByHash',
  'eth_getTransactionCount',
  'eth_getTransactionReceipt',
  'eth_maxPriorityFeePerGas',
  'net_version',
])

// Methods a wallet commonly has that this one deliberately leaves out, with what to use instead.
const hints: Readonly<Record<string, string>> = {
  eth_sendTransaction: 'the account is a smart contract; use wallet_sendCalls',
  eth_sign: 'use personal_sign',
  eth_signTypedData: 'use eth_signTypedData_v4',
  wallet_switchEthereumChain: 'the dev wallet has one chain',
}

/**
 * The provider over a wallet's context: routes by method, and turns whatever a handler throws
 * into a coded error at this one boundary.
 *
 * @example
 * const provider = createDevWalletProvider(context, () => closed)
 * await provider.request({ method: 'eth_accounts' }) // [account]
 */
export function createDevWalletProvider(context: DevWalletContext, isClosed: () => boolean): DevWalletProvider {
  return routedProvider(handlers, context, isClosed, (method) => hints[method])
}

/**
 * A dev provider over a table of handlers: the methods it answers itself, reads passed to the
 * node, 4200 for the rest (with `hint(method)`); whatever a handler throws is coded here.
 *
 * @example
 * const provider = routedProvider({ eth_chainId: async () => '0x7a69' }, context, () => closed, () => undefined)
 */
export function routedProvider<context extends Pick<DevWalletContext, 'publicClient'>>(
  table: Readonly<Record<string, (params: unknown, context: context, method: string) => unknown>>,
  context: context,
  isClosed: () => boolean,
  hint: (method: string) => string | undefined,
): DevWalletProvider {
  const emitter = new SafeEmitter()
  // One cast, here: the answer is whatever the handler or the node gave, as EIP-1193 has it.
  const request = async (args: RequestArguments): Promise<unknown> => {
    if (typeof args !== 'object' || args === null || typeof args.method !== 'string' || args.method === '')
      throw new InvalidRequestError('method', 'must be a non-empty string')
    if (isClosed()) throw disconnected()
    const { method, params } = args
    try {
      const handler = Object.hasOwn(table, method) ? table[method] : undefined
      if (handler) return await handler(params ?? [], context, method)
      if (reads.has(method)) return await read(context, method, params)
      throw unsupportedMethod(method, hint(method))
    } catch (error) {
      throw toRpcError(error)
    }
  }
  const provider: DevWalletProvider = {
    request: request as EIP1193RequestFn,
    ...listenerMethods(emitter, () => provider),
    emit(event, ...args) {
      emitter.emit(event, ...args)
    },
  }
  return provider
}

/**
 * A read passed to the node, its errors coded.
 *
 * @example
 * await read(context, 'eth_sendRawTransaction', [signed])
 */
export async function read(context: Pick<DevWalletContext, 'publicClient'>, method: string, params: unknown): Promise<unknown> {
  try {
    // viem's request is typed per method; a pass-through cannot name them all.
    return await context.publicClient.request({ method, params } as never, { retryCount: 0 })
  } catch (error) {
    throw toNodeError(error)
  }
}

/**
 * ERC-5792 capabilities, keyed by chain id: atomic batches, and ERC-7715 permissions as the
 * SessionAccount can enforce them in this wallet's dialect.
 */
function capabilities(context: DevWalletContext) {
  const permissionTypes = ['contract-call', 'native-token-transfer', 'erc20-token-transfer']
  return {
    [numberToHex(context.chainId)]: {
      atomic: { status: 'supported' },
      // The key types the SessionAccount checks that this dialect's signer can name.
      permissions: { supported: true, signerTypes: ['account'], keyTypes: devWalletDialects[context.dialect].keyTypes ?? ['secp256k1'], permissionTypes },
    },
  }
}
