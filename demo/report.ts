/**
 * How the demo's stories report: a line per check, a count of failures, short addresses, and
 * the coded error inside what viem threw.
 */
import { BaseError } from 'viem'

let failures = 0

/**
 * Prints `✓ what` or `✗ what`; a ✗ makes the demo exit 1.
 *
 * @example
 * check(nfts === 5n, `NFTs held by the account: ${nfts}`)
 */
export function check(ok: boolean, what: string): void {
  console.log(`   ${ok ? '✓' : '✗'} ${what}`)
  if (!ok) failures++
}

/**
 * How many checks failed so far.
 *
 * @example
 * process.exit(failed() === 0 ? 0 : 1)
 */
export function failed(): number {
  return failures
}

/**
 * `0x1234…abcd`.
 *
 * @example
 * short('0x5FbDB2315678afecb367f032d93F642f64180aa3') // '0x5FbD…0aa3'
 */
export function short(value: string): string {
  return `${value.slice(0, 6)}…${value.slice(-4)}`
}

/**
 * The coded RPC error inside what viem threw (viem wraps it, e.g. in a TransactionExecutionError).
 *
 * @example
 * const refused = await client.sendCalls(…).then(() => undefined, rpcErrorOf)
 */
export function rpcErrorOf(error: unknown): { code: number; name: string; details: string; message: string } | undefined {
  const found = error instanceof BaseError ? error.walk((e) => typeof (e as { code?: unknown }).code === 'number') : error
  return found as { code: number; name: string; details: string; message: string } | undefined
}
