import { InternalError, type KeyleashError, UnauthorizedError } from '../errors.js'

/** What an ERC-4337 `AAxx` code means for a session key's UserOperation, and what to do about it. */
const reasons: Readonly<Record<string, { refused: boolean; what: string; todo: string }>> = {
  AA10: { refused: false, what: 'the account is deployed already, yet the UserOperation carried its initCode', todo: 'send it without initCode' },
  AA13: { refused: false, what: 'the account could not be deployed from its initCode', todo: 'check the factory and its data' },
  AA20: { refused: false, what: 'the account is not deployed', todo: 'deploy it first (the owner, or a UserOperation with its initCode)' },
  AA21: { refused: false, what: 'the account has too little ETH (or EntryPoint deposit) to pay for the UserOperation\'s gas', todo: 'fund the account, or pay through a paymaster' },
  AA22: { refused: true, what: 'the session key is not valid now: its validity window has ended or not begun', todo: 'grant a new session' },
  AA23: { refused: true, what: 'the account\'s validation reverted', todo: 'the account does not take this key or these calls; check what it granted (getPermissionsForSigner for thirdweb)' },
  AA24: {
    refused: true,
    what: 'the account refused the session key\'s signature: the key is not an active signer of the account for these calls (revoked, expired, or a target or value the account does not allow it)',
    todo: 'grant the key again, or keep the calls to what the account granted',
  },
  AA25: { refused: false, what: 'the nonce was taken by another UserOperation of the account', todo: 'send again (keyleash reads a fresh nonce)' },
  AA26: { refused: false, what: 'validation used more gas than the UserOperation\'s verificationGasLimit', todo: 'raise the verification gas margin' },
  AA30: { refused: false, what: 'the paymaster is not deployed', todo: 'check the paymaster address' },
  AA31: { refused: false, what: 'the paymaster\'s EntryPoint deposit is too low', todo: 'top up the paymaster\'s deposit' },
  AA32: { refused: false, what: 'the paymaster\'s approval has expired or is not due yet', todo: 'ask the paymaster again' },
  AA33: { refused: false, what: 'the paymaster refused the UserOperation', todo: 'check the paymaster\'s policy' },
  AA34: { refused: false, what: 'the paymaster\'s signature is invalid', todo: 'ask the paymaster again' },
  AA40: { refused: false, what: 'validation used more gas than the UserOperation\'s verificationGasLimit', todo: 'raise the verification gas: the account family\'s verificationGasLimit, or the bundler\'s estimate (alto: --v6-verification-gas-limit-multiplier)' },
  AA41: { refused: false, what: 'too little verification gas to run the paymaster\'s postOp', todo: 'raise paymasterPostOpGasLimit' },
  AA50: { refused: false, what: 'the paymaster\'s postOp reverted', todo: 'check the paymaster' },
  AA51: { refused: false, what: 'the prefund was below the gas actually used', todo: 'raise the gas limits' },
  AA90: { refused: false, what: 'handleOps was given no beneficiary', todo: 'name a relayer address as beneficiary' },
  AA91: { refused: false, what: 'the EntryPoint could not pay the beneficiary', todo: 'name a beneficiary that takes ETH' },
  AA93: { refused: false, what: 'paymasterAndData is malformed', todo: 'check the paymaster fields' },
  AA94: { refused: false, what: 'the UserOperation\'s gas values overflow', todo: 'lower its gas fields' },
  AA95: { refused: false, what: 'handleOps ran out of gas', todo: 'raise the relayer\'s gas limit for handleOps' },
}

/**
 * The ERC-4337 `AAxx` code a bundler or the EntryPoint gave for a UserOperation, as a coded
 * error that says what happened and what to do: 4100 when the account refused the session
 * key, -32603 otherwise. `undefined` when `message` carries no AA code.
 *
 * @example
 * aaError('UserOperation reverted during simulation with reason: AA24 signature error', context)
 * // UnauthorizedError: AA24: the account refused the session key's signature …
 */
export function aaError(message: string, context: string): KeyleashError | undefined {
  const code = /\bAA\d\d\b/.exec(message)?.[0]
  if (code === undefined) return undefined
  const known = reasons[code]
  const data = { context, aaCode: code, hint: known?.todo, cause: message }
  if (!known) return new InternalError(`${code}: the EntryPoint refused the UserOperation (${message})`, data)
  const text = `${code}: ${known.what}`
  return known.refused ? new UnauthorizedError(text, data) : new InternalError(text, data)
}
