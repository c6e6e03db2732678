import { type Hex, type TypedDataDefinition, hashTypedData, isHex } from 'viem'
import { InvalidParamsError } from '../errors.js'
import { describe, readAddress, readArray, readTypedData } from '../permissions/read.js'
import { checkAccount } from './calls.js'
import type { DevWalletContext } from './context.js'

/*
 * A smart account cannot sign: its "signature" is the owner EOA's, which the SessionAccount
 * accepts through EIP-1271 (`isValidSignature(hash, signature)` recovers the owner from the
 * hash as given). So both methods sign, with the owner key, exactly the hash a verifier
 * computes for the account: viem's `verifyMessage` / `verifyTypedData` with the account's
 * address succeed.
 */

/** What signing needs of a wallet: its account, the key that signs for it, and the approval hook. */
type Signer = Pick<DevWalletContext, 'account' | 'owner' | 'ask'>

/**
 * `personal_sign([message, address])` for the account: the approval hook confirms, the owner
 * signs the EIP-191 message. `message` is hex bytes (as viem sends it) or plain text.
 *
 * @example
 * const signature = await walletClient.signMessage({ account, message: 'hello' })
 * await publicClient.verifyMessage({ address: account, message: 'hello', signature }) // true
 */
export async function personalSign(params: unknown, context: Signer): Promise<Hex> {
  const [message, address] = readArray(params, 'params')
  checkAccount('personal_sign', readAddress(address, 'params[1]'), context)
  if (typeof message !== 'string') throw new InvalidParamsError('params[0]', `must be the message, hex or text, got ${describe(message)}`)
  await context.ask({ method: 'personal_sign', summary: `sign the message ${message} as ${context.account}`, params })
  return context.owner.signMessage({ message: isHex(message) ? { raw: message } : message })
}

/**
 * `eth_signTypedData_v4([address, typedData])` for the account (typed data as a JSON string or
 * an object): the approval hook confirms, the owner signs the EIP-712 hash.
 *
 * @example
 * const signature = await walletClient.signTypedData({ account, domain, types, primaryType, message })
 * await publicClient.verifyTypedData({ address: account, domain, types, primaryType, message, signature }) // true
 */
export async function signTypedDataV4(params: unknown, context: Signer): Promise<Hex> {
  const [address, raw] = readArray(params, 'params')
  checkAccount('eth_signTypedData_v4', readAddress(address, 'params[0]'), context)
  const typedData = readTypedData(raw, 'params[1]')
  if (typeof typedData.primaryType !== 'string') throw new InvalidParamsError('params[1].primaryType', 'must be a type name')
  // Hashed before the prompt, so malformed typed data is refused without asking anyone.
  let hash: Hex
  try {
    // viem validates the message against `types` (integers may be decimal or hex strings).
    hash = hashTypedData(typedData as unknown as TypedDataDefinition)
  } catch (error) {
    throw new InvalidParamsError('params[1]', `is not valid EIP-712 typed data: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`)
  }
  await context.ask({ method: 'eth_signTypedData_v4', summary: `sign ${typedData.primaryType} typed data as ${context.account}`, params })
  return context.owner.sign({ hash })
}
