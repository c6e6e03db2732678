import { keccak256, stringToHex, verifyMessage, type Hex } from 'viem'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import { describe, expect, test } from 'vitest'
import { hashExecutor } from '../../src/execution/hash.js'
import { sessionFixture } from '../utils/sessionFixture.js'
import { scriptedProvider } from '../utils/scriptedProvider.js'

describe('hashExecutor', () => {
  test('default: the session key signs the backend\'s hash as an EIP-191 message over its raw 32 bytes', async () => {
    const signer = privateKeyToAccount(generatePrivateKey())
    const signableHash = keccak256(stringToHex('intent'))
    let submitted: { intent: unknown; signature: Hex } | undefined
    const steps: string[] = []
    const executor = hashExecutor({
      prepare: async () => ({ hash: signableHash, intent: { id: 'tin_1' } }),
      submit: async (parameters) => {
        steps.push('submit')
        submitted = parameters
        return { id: 'tin_1' }
      },
    })
    const result = await executor({ inner: scriptedProvider(), session: sessionFixture(), calls: [], chainId: 31337, signer, submitting: () => steps.push('submitting') })
    expect(result).toStrictEqual({ id: 'tin_1' })
    // The middleware keeps the usage once the signature is handed on, so it must hear of it first.
    expect(steps).toStrictEqual(['submitting', 'submit'])
    expect(submitted?.intent).toStrictEqual({ id: 'tin_1' })
    expect(await verifyMessage({ address: signer.address, message: { raw: signableHash }, signature: submitted?.signature as Hex })).toBe(true)
  })
})
