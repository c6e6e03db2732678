import { type Address, type Hex, encodeFunctionData } from 'viem'
import { entryPoint06Address } from 'viem/account-abstraction'
import type { Erc4337Account } from '../../execution/erc4337.js'

// thirdweb's `Account` (@thirdweb-dev/contracts 3.15): the two functions a session key may have
// it run. Its `isValidSigner` reads the targets and values of exactly these.
const executeAbi = [
  {
    type: 'function',
    name: 'execute',
    stateMutability: 'nonpayable',
    inputs: [
      { name: '_target', type: 'address' },
      { name: '_value', type: 'uint256' },
      { name: '_calldata', type: 'bytes' },
    ],
    outputs: [],
  },
  {
    type: 'function',
    name: 'executeBatch',
    stateMutability: 'nonpayable',
    inputs: [
      { name: '_target', type: 'address[]' },
      { name: '_value', type: 'uint256[]' },
      { name: '_calldata', type: 'bytes[]' },
    ],
    outputs: [],
  },
] as const

// What `isValidSigner` spends on one call of a batch at most: a cold read of its target's
// approval and of the value limit, and the loop around them.
const verificationGasPerCall = 5_000n

/** Options of {@link thirdwebAccount}. */
export type ThirdwebAccountOptions = {
  /** The EntryPoint the account was created on. Default: v0.6 at its canonical address (thirdweb 3.15's accounts run on v0.6 only). */
  entryPoint?: Address | undefined
}

/**
 * thirdweb's smart account (`Account` / `AccountFactory` of `@thirdweb-dev/contracts`) for
 * {@link erc4337Executor}: one call is `execute`, several are `executeBatch` (all or none); the
 * session key signs the UserOperation hash as an EIP-191 message, which the account recovers and
 * checks with `isValidSigner` (an active signer, every target approved, each value within the
 * per-transaction limit). It takes any EntryPoint nonce key, so concurrent sends never share a nonce.
 *
 * @example
 * import { erc4337Executor, thirdwebAccount } from 'keyleash/wallets'
 *
 * const executor = erc4337Executor({ account: thirdwebAccount(), bundler: bundlerUrl })
 */
export function thirdwebAccount(options: ThirdwebAccountOptions = {}): Erc4337Account {
  return {
    entryPoint: { address: options.entryPoint ?? entryPoint06Address, version: '0.6' },
    parallelNonces: true,
    encodeCalls(calls) {
      const [only] = calls
      if (calls.length === 1 && only)
        return encodeFunctionData({ abi: executeAbi, functionName: 'execute', args: [only.to, only.value ?? 0n, only.data ?? '0x'] })
      return encodeFunctionData({
        abi: executeAbi,
        functionName: 'executeBatch',
        args: [calls.map((call) => call.to), calls.map((call) => call.value ?? 0n), calls.map((call) => call.data ?? '0x')],
      })
    },
    // A real signature (by a throwaway key, of another hash): recovery runs as for the session
    // key's and costs the same gas, and the account answers "not a signer" instead of reverting.
    dummySignature: '0x1dab5a4d71ba2263847f2afc0ae4aef287987f31e055bd794c9f3b05d40716b40451cbafa16ee1481b466fea18600b08bdca7d6f42ee8ca87ec2160660d633ff1c',
    // The dummy's key is no signer of the account, so `isValidSigner` stops before the checks the
    // session key's signature pays for (its permissions, then each call's target and value): a
    // bundler's estimate falls short (AA40) as batches grow. Half again, and some per call.
    verificationGasLimit: (estimate, calls) => (estimate * 3n) / 2n + BigInt(calls.length) * verificationGasPerCall,
    signUserOperationHash: (hash, signer) => signer.signMessage({ message: { raw: hash } }),
  }
}
