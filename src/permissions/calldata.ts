import type { Hex } from 'viem'

/** The selector of a call without one (calldata shorter than 4 bytes), as the session account reads it. */
export const noSelector = '0x00000000'

/** `transfer(address,uint256)`: the one function an `erc20-transfer` permission allows by itself. */
export const transferSelector = '0xa9059cbb'

/**
 * The ERC-20 (and ERC-2612) functions whose amount counts against a token allowance, by selector,
 * to the 0-based ABI argument that holds the amount. `approve`, `increaseAllowance` and `permit` are
 * counted too: each lets someone else move the tokens later, out of sight of any spend limit.
 */
export const tokenAmountArgument: ReadonlyMap<string, number> = new Map([
  [transferSelector, 1], // transfer(address to, uint256 amount)
  ['0x23b872dd', 2], // transferFrom(address from, address to, uint256 amount)
  ['0x095ea7b3', 1], // approve(address spender, uint256 amount)
  ['0x39509351', 1], // increaseAllowance(address spender, uint256 addedValue)
  ['0xd505accf', 2], // permit(address owner, address spender, uint256 value, uint256 deadline, uint8 v, bytes32 r, bytes32 s)
])

/**
 * The lower-case 4-byte selector of well-formed calldata, or {@link noSelector} when it is shorter
 * than 4 bytes (what `bytes4(0)` is in the session account).
 */
export function selectorOf(data: Hex): Hex {
  // String slicing, not viem's `size` and `slice`: the calldata is known hex, and this runs on every send.
  return data.length >= 10 ? (data.slice(0, 10).toLowerCase() as Hex) : noSelector
}

/**
 * Static ABI argument `index` (0-based, after the selector) of well-formed calldata as a uint256,
 * or `undefined` when the calldata is too short to hold it.
 *
 * @example
 * readWord(encodeFunctionData({ abi: erc20Abi, functionName: 'transfer', args: [to, 5n] }), 1) // 5n
 */
export function readWord(data: Hex, index: number): bigint | undefined {
  const start = 2 + 2 * (4 + 32 * index)
  if (data.length < start + 64) return undefined
  return BigInt(`0x${data.slice(start, start + 64)}`)
}
