import { isHex } from 'viem'
import { InvalidParamsError } from '../errors.js'
import { describe, readAddress, readArray, readObject, readQuantity } from './read.js'
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
    const call = readObject(raw, `${field}[${i}]`)
    const data = call.data ?? call.input
    if (data !== undefined && (typeof data !== 'string' || !isHex(data) || data.length % 2 !== 0))
      throw new InvalidParamsError(`${field}[${i}].data`, `${describe(data)} is not 0x-prefixed hex bytes`)
    return {
      to: readAddress(call.to, `${field}[${i}].to`),
      ...(data === undefined ? {} : { data }),
      ...(call.value === undefined ? {} : { value: readQuantity(call.value, `${field}[${i}].value`) }),
    }
  })
}
