import { type Address, type Hex, bytesToHex, isAddressEqual, numberToHex } from 'viem'
import { InvalidParamsError } from '../errors.js'
import { describe, readAddress, readArray, readChainId, readObject, readQuantity, type Fields } from '../permissions/read.js'
import type { AccountCall } from './contracts.js'
import type { DevWalletContext } from './context.js'
import { duplicateBundle, unauthorized, unknownBundle, unsupportedCapability } from './errors.js'

/** ERC-5792 `wallet_getCallsStatus` answer, as the dev wallet gives it (always atomic: one transaction). */
export type CallsStatus = {
  version: '2.0.0'
  id: string
  chainId: Hex
  /** 100 pending, 200 confirmed, 500 reverted on-chain. */
  status: 100 | 200 | 500
  atomic: true
  receipts?: {
    logs: { address: Address; data: Hex; topics: readonly Hex[] }[]
    status: Hex
    blockHash: Hex
    blockNumber: Hex
    gasUsed: Hex
    transactionHash: Hex
  }[]
}

/**
 * ERC-5792 `wallet_sendCalls`, signed by the owner: the owner signs `execute` and it is
 * simulated (a batch that would revert is a -32003 naming the decoded error: nobody is asked,
 * nothing is sent), the approval hook confirms, the relayer submits it. Answers `{ id }` for
 * `wallet_getCallsStatus` once the batch is mined.
 * `capabilities.permissions` is the middleware's business (it signs with the session key);
 * reaching the wallet it is a -32602.
 *
 * @see https://eips.ethereum.org/EIPS/eip-5792
 * @example
 * await sendCalls([{ version: '2.0.0', chainId: '0x7a69', atomicRequired: true, calls: [{ to: nft, data }] }], context)
 */
export async function sendCalls(params: unknown, context: DevWalletContext): Promise<{ id: string }> {
  const request = readObject(readArray(params, 'params')[0], 'params[0]')
  if (request.from !== undefined) checkAccount('wallet_sendCalls', readAddress(request.from, 'params[0].from'), context)
  checkChain(request.chainId, 'params[0].chainId', context)
  checkCapabilities(request.capabilities, 'params[0].capabilities')
  const calls = readCalls(request.calls, 'params[0].calls')
  const id = request.id === undefined ? undefined : readBundleId(request.id, context)
  const batch = await context.relay.prepareAsOwner(calls)
  await context.ask({ method: 'wallet_sendCalls', summary: describeCalls(calls), params })
  return { id: recordBundle(context, await sent(context, batch.send()), id) }
}

/**
 * ERC-5792 `wallet_getCallsStatus(id)` for a bundle this wallet sent (`wallet_sendCalls` or
 * `wallet_sendPreparedCalls`); an unknown id is 5730.
 *
 * @example
 * await getCallsStatus([id], context) // { version: '2.0.0', id, chainId: '0x7a69', status: 200, atomic: true, receipts: [...] }
 */
export async function getCallsStatus(params: unknown, context: DevWalletContext): Promise<CallsStatus> {
  const id = readArray(params, 'params')[0]
  const hash = typeof id === 'string' ? context.bundles.get(id) : undefined
  if (typeof id !== 'string' || hash === undefined) throw unknownBundle(String(id))
  const status = { version: '2.0.0', id, chainId: numberToHex(context.chainId), atomic: true } as const
  // The raw RPC receipt: ERC-5792 receipts are in RPC form (hex quantities), as viem expects.
  const receipt = (await context.publicClient.request({ method: 'eth_getTransactionReceipt', params: [hash] })) as RpcReceipt | null
  if (receipt === null) return { ...status, status: 100 }
  return {
    ...status,
    status: receipt.status === '0x1' ? 200 : 500,
    receipts: [
      {
        logs: receipt.logs.map((log) => ({ address: log.address, data: log.data, topics: log.topics })),
        status: receipt.status,
        blockHash: receipt.blockHash,
        blockNumber: receipt.blockNumber,
        gasUsed: receipt.gasUsed,
        transactionHash: receipt.transactionHash,
      },
    ],
  }
}

type RpcReceipt = {
  status: Hex
  blockHash: Hex
  blockNumber: Hex
  gasUsed: Hex
  transactionHash: Hex
  logs: { address: Address; data: Hex; topics: Hex[] }[]
}

/**
 * Reads ERC-5792 calls (`[{ to, data?, value? }]`) as SessionAccount calls. A call without
 * `to` (a deployment) cannot go through `execute`, nor can an empty batch.
 *
 * @example
 * readCalls([{ to: nft, data: '0x6a627842…' }], 'params[0].calls') // [{ target: nft, value: 0n, data: '0x6a627842…' }]
 */
export function readCalls(value: unknown, field: string): AccountCall[] {
  const list = readArray(value, field)
  if (list.length === 0) throw new InvalidParamsError(field, 'must hold at least one call')
  return list.map((raw, i) => {
    const call = readObject(raw, `${field}[${i}]`)
    if (call.to === undefined || call.to === null)
      throw new InvalidParamsError(`${field}[${i}].to`, 'is required: the dev wallet cannot deploy contracts from its account')
    checkCapabilities(call.capabilities, `${field}[${i}].capabilities`)
    return {
      target: readAddress(call.to, `${field}[${i}].to`),
      value: call.value === undefined || call.value === null ? 0n : readQuantity(call.value, `${field}[${i}].value`),
      data: readData(call.data, `${field}[${i}].data`),
    }
  })
}

/**
 * Calls in ERC-5792 wire form (hex value), JSON-safe.
 *
 * @example
 * wireCalls([{ target: nft, value: 0n, data }]) // [{ to: nft, value: '0x0', data }]
 */
export function wireCalls(calls: readonly AccountCall[]): { to: Address; value: Hex; data: Hex }[] {
  return calls.map((c) => ({ to: c.target, value: numberToHex(c.value), data: c.data }))
}

/**
 * Resolves once the transaction is mined (reverted or not: `wallet_getCallsStatus` says which).
 * Anvil mines just after it answers `eth_sendRawTransaction`; answering only once the block is
 * there means a test that reverts the chain right after a call cannot see it land later, in
 * another test's chain.
 *
 * @example
 * const hash = await sent(context, context.relay.send(calls, nonce, signature))
 */
export async function sent(context: DevWalletContext, sending: Promise<Hex>): Promise<Hex> {
  const hash = await sending
  await context.relay.mined(hash)
  return hash
}

/**
 * Remembers which transaction carries a bundle, under the app's id or a new random one.
 *
 * @example
 * const id = recordBundle(context, hash)
 */
export function recordBundle(context: DevWalletContext, hash: Hex, id?: string): string {
  const bundleId = id ?? bytesToHex(crypto.getRandomValues(new Uint8Array(32)))
  context.bundles.set(bundleId, hash)
  return bundleId
}

/**
 * 4100 unless `address` is the wallet's account: it signs and sends for nothing else.
 *
 * @example
 * checkAccount('wallet_prepareCalls', from, context)
 */
export function checkAccount(method: string, address: Address, context: Pick<DevWalletContext, 'account'>): void {
  if (!isAddressEqual(address, context.account)) throw unauthorized(method, address)
}

/**
 * -32602 unless `value` (hex or number) is the wallet's chain.
 *
 * @example
 * checkChain('0x7a69', 'params[0].chainId', context)
 */
export function checkChain(value: unknown, field: string, context: DevWalletContext): void {
  const chainId = readChainId(value, field)
  if (chainId !== context.chainId) throw new InvalidParamsError(field, `${chainId} is not this wallet's chain (${context.chainId})`)
}

/**
 * ERC-5792 capabilities: the dev wallet supports none beyond atomicity, so a capability not
 * marked `optional: true` is a 5700 — except `permissions`, which the middleware should have
 * handled before the wallet ever saw it.
 *
 * @example
 * checkCapabilities({ paymasterService: { url, optional: true } }, 'params[0].capabilities') // ok
 */
export function checkCapabilities(value: unknown, field: string): void {
  if (value === undefined || value === null) return
  const capabilities = readObject(value, field)
  for (const [name, capability] of Object.entries(capabilities)) {
    if (name === 'permissions')
      throw new InvalidParamsError(`${field}.permissions`, 'the dev wallet keeps no sessions; calls under a permissions context are signed by the session key (wrap the wallet with withSessionKeys)')
    if ((capability as Fields | null)?.optional !== true) throw unsupportedCapability(name)
  }
}

function readData(value: unknown, field: string): Hex {
  if (value === undefined || value === null) return '0x'
  if (typeof value !== 'string' || !/^0x([0-9a-fA-F]{2})*$/.test(value))
    throw new InvalidParamsError(field, `${describe(value)} is not 0x-prefixed hex bytes`)
  return value as Hex
}

function readBundleId(value: unknown, context: DevWalletContext): string {
  if (typeof value !== 'string' || value.length === 0) throw new InvalidParamsError('params[0].id', `must be a non-empty string, got ${describe(value)}`)
  if (context.bundles.has(value)) throw duplicateBundle(value)
  return value
}

function describeCalls(calls: readonly AccountCall[]): string {
  return calls
    .map((c) => `call ${c.data.length >= 10 ? c.data.slice(0, 10) : 'no function'} on ${c.target}${c.value > 0n ? ` with ${c.value} wei` : ''}`)
    .join('\n')
}
