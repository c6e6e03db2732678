import { InvalidParamsError } from '../errors.js'
import { describe, readAddress, readArray, readObject, readQuantity } from './read.js'
import { isHexBytes } from './isHexBytes.js'
import type { ScopeCall } from './scope.js'

/**
 * Reads ERC-5792 calls (`{ to, data?, value? }`, value as hex) into what the scope check
 * takes. Every call needs a target: a contract creation never fits a session.
 *
 * @example
 * readCalls([{ to: nft, data: '0x6a627842…' }], 'params[0].calls')
 */
export function readCalls(value: unknown, field: string): ScopeCall[] {
  const calls = readArray(value, field)
  if (calls.length === 0) throw new InvalidParamsError(field, 'must hold at least one call')
  return calls.map((raw, i) => {
    const at = `${field}[${i}]`
    const call = readObject(raw, at)
    const data = call.data ?? call.input
    if (data !== undefined && (typeof data !== 'string' || !isHexBytes(data)))
      throw new InvalidParamsError(`${at}.data`, `${describe(data)} is not 0x-prefixed hex bytes`)
    // Keys set one by one, not spread in: this runs on every send.
    const read: ScopeCall = { to: readAddress(call.to, `${at}.to`) }
    if (data !== undefined) read.data = data
    if (call.value !== undefined) read.value = readQuantity(call.value, `${at}.value`)
    return read
  })
}
