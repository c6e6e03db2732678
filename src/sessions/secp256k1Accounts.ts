/**
 * viem's secp256k1 accounts (`viem/accounts`), loaded when a key is first made or opened, not
 * when keyleash is imported: loading it evaluates the curve's code, about half of what importing
 * keyleash cost a fresh Node process over importing viem alone (a serverless function's cold
 * start pays it on every start, whether or not it grants). viem loads its own curve code for
 * signature recovery the same way.
 *
 * @example
 * const { generatePrivateKey, privateKeyToAccount } = await secp256k1Accounts()
 */
export function secp256k1Accounts(): Promise<typeof import('viem/accounts')> {
  loading ??= import('viem/accounts')
  return loading
}

let loading: Promise<typeof import('viem/accounts')> | undefined
