import { type Address, type Hex, encodeFunctionData, formatEther, isAddressEqual, maxUint32, maxUint48 } from 'viem'
import { InvalidParamsError } from '../errors.js'
import { sessionAccountAbi } from './artifacts.js'
import { ANY_SELECTOR, type AccountCall, type SessionScope, type TokenAllowance } from './contracts.js'
import type { DevWalletContext } from './context.js'

/** The arguments of `SessionAccount.registerSession`: what a grant becomes on-chain. */
export type Registration = {
  key: Address
  /** A P-256 key's point, filed on-chain (`registerP256Key`) before its session: `key` is the address it is filed under. */
  p256?: { x: Hex; y: Hex } | undefined
  /** UNIX seconds (uint48). */
  validUntil: number
  scopes: readonly SessionScope[]
  /** 0 = no limit (uint32). */
  callLimit: number
  nativeAllowance: bigint
  tokens: readonly TokenAllowance[]
}

/**
 * The chain's clock: the latest block's timestamp, which is what the SessionAccount checks
 * expiry against (anvil's clock may have been moved away from the system's).
 *
 * @example
 * const now = await chainNow(publicClient)
 */
export async function chainNow(publicClient: DevWalletContext['publicClient']): Promise<number> {
  return Number((await publicClient.getBlock({ blockTag: 'latest' })).timestamp)
}

/**
 * Checks what the contract would take badly or what must never be granted: values out of
 * their Solidity range, and a key or target that is the account itself.
 *
 * @example
 * checkRegistration(registration, account, '[0].')
 */
export function checkRegistration(registration: Registration, account: Address, path: string, signerField = 'signer'): void {
  if (isAddressEqual(registration.key, account))
    throw new InvalidParamsError(`${path}${signerField}`, 'is the account itself; a session key must be another key')
  if (registration.validUntil > Number(maxUint48)) throw new InvalidParamsError(`${path}expiry`, 'does not fit the account (uint48 seconds)')
  if (registration.callLimit > Number(maxUint32)) throw new InvalidParamsError(`${path}call-limit`, 'does not fit the account (uint32)')
  for (const scope of registration.scopes)
    if (isAddressEqual(scope.target, account))
      throw new InvalidParamsError(`${path}permissions`, `${scope.target} is the account itself; a session key may never call its own account`)
}

/**
 * Registers sessions on-chain, all in one owner-signed `execute` of self-calls (so a batch of
 * grants lands together or not at all), simulated now; `send()` has the relayer submit it and
 * resolves once it is mined.
 *
 * @example
 * const registration = await prepareRegistration(context, [{ key, validUntil, scopes, callLimit: 0, nativeAllowance: 0n, tokens: [] }])
 * await context.ask({ method, summary, params })
 * await registration.send()
 */
export function prepareRegistration(context: DevWalletContext, registrations: readonly Registration[]): Promise<{ send(): Promise<void> }> {
  const calls = registrations.flatMap((r) => [
    ...(r.p256 ? [selfCall(context.account, encodeFunctionData({ abi: sessionAccountAbi, functionName: 'registerP256Key', args: [r.p256.x, r.p256.y] }))] : []),
    selfCall(
      context.account,
      encodeFunctionData({
        abi: sessionAccountAbi,
        functionName: 'registerSession',
        args: [r.key, r.validUntil, [...r.scopes], r.callLimit, r.nativeAllowance, [...r.tokens]],
      }),
    ),
  ])
  return prepareOwnerBatch(context, calls)
}

/**
 * An owner-signed batch, simulated; `send()` relays it and waits until it is mined.
 *
 * @example
 * const batch = await prepareOwnerBatch(context, [selfCall(context.account, revokeData)])
 * await batch.send()
 */
export async function prepareOwnerBatch(context: DevWalletContext, calls: readonly AccountCall[]): Promise<{ send(): Promise<void> }> {
  const batch = await context.relay.prepareAsOwner(calls)
  return {
    async send() {
      await context.relay.confirm(await batch.send())
    },
  }
}

/**
 * A call from the account to itself: how the owner reaches `onlyOwnerOrSelf` functions through `execute`.
 *
 * @example
 * selfCall(account, encodeFunctionData({ abi: sessionAccountAbi, functionName: 'revokeSession', args: [key] }))
 */
export function selfCall(account: Address, data: Hex): AccountCall {
  return { target: account, value: 0n, data }
}

/**
 * What the user is asked to agree to, one line per session, as a wallet's confirmation screen would say it.
 *
 * @example
 * describeRegistration(registration) // 'session key 0xAb… until 2026-01-01T00:00:00.000Z: call 0x6a627842 on 0x5F…; at most 10 calls'
 */
export function describeRegistration(r: Registration): string {
  const parts = r.scopes.map((s) => `call ${s.selector === ANY_SELECTOR ? 'any function' : s.selector} on ${s.target}`)
  if (r.nativeAllowance > 0n) parts.push(`send up to ${formatEther(r.nativeAllowance)} ETH`)
  for (const t of r.tokens) parts.push(`move up to ${t.allowance} of token ${t.token}`)
  if (r.callLimit > 0) parts.push(`at most ${r.callLimit} calls`)
  return `${r.p256 ? 'P-256 ' : ''}session key ${r.key} until ${new Date(r.validUntil * 1000).toISOString()}: ${parts.join('; ')}`
}
