import { isHex, parseAbiItem, toFunctionSelector, type Hex } from 'viem'
import { InvalidParamsError } from '../errors.js'
import { describe } from './read.js'

// Hashing a signature costs ~20 µs; grants name the same few functions over and over.
const cache = new Map<string, Hex>()
const cacheLimit = 1024

/**
 * A 4-byte selector from a function signature (`mint(address)`, `function mint(address to)`)
 * or a selector (`0x6a627842`). Types are checked, so a typo is an error, not another function.
 *
 * @example
 * toSelector('mint(address)', 'permissions[0].data.calls[0]') // '0x6a627842'
 */
export function toSelector(call: unknown, field: string): Hex {
  if (typeof call !== 'string' || call.length === 0)
    throw new InvalidParamsError(field, `${describe(call)} is not a function signature or selector`)
  const cached = cache.get(call)
  if (cached) return cached
  let selector: Hex
  if (call.startsWith('0x')) {
    if (!isHex(call) || call.length !== 10)
      throw new InvalidParamsError(field, `${describe(call)} is not a 4-byte selector (0x and 8 hex digits)`)
    selector = call.toLowerCase() as Hex
  } else {
    try {
      selector = toFunctionSelector(parseAbiItem(call.startsWith('function ') ? call : `function ${call}`) as never)
    } catch {
      throw new InvalidParamsError(field, `${describe(call)} is not a function signature or selector`, {
        hint: 'write it as name(type,...), e.g. "mint(address)", or as a 4-byte selector',
      })
    }
  }
  if (cache.size >= cacheLimit) cache.clear()
  cache.set(call, selector)
  return selector
}
