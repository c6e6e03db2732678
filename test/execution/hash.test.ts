import { hashMessage, hexToBytes, keccak256, recoverAddress, stringToHex, verifyMessage, type Hex } from 'viem'
import { generateP256Key, p256Signer } from '../../src/sessions/p256Key.js'
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

describe('hashExecutor, raw', () => {
  test('behavior: signature: \'raw\' signs the 32 bytes themselves, as accounts that check the hash as it is need', async () => {
    const signer = privateKeyToAccount(generatePrivateKey())
    const signableHash = keccak256(stringToHex('intent'))
    let signature: Hex | undefined
    const executor = hashExecutor({
      signature: 'raw',
      prepare: async () => ({ hash: signableHash, intent: 'tin_1' }),
      submit: async (parameters) => {
        signature = parameters.signature
        return { id: 'tin_1' }
      },
    })
    await executor({ inner: scriptedProvider(), session: sessionFixture(), calls: [], chainId: 31337, signer, submitting: () => {} })
    expect(await recoverAddress({ hash: signableHash, signature: signature as Hex })).toBe(signer.address)
  })

  test('error: a raw signature needs a 32-byte hash, and nothing is handed over without one', async () => {
    let submitted = false
    const executor = hashExecutor({ signature: 'raw', prepare: async () => ({ hash: '0x1234', intent: 'tin_1' }), submit: async () => ({ id: String((submitted = true)) }) })
    await expect(
      executor({ inner: scriptedProvider(), session: sessionFixture(), calls: [], chainId: 31337, signer: privateKeyToAccount(generatePrivateKey()), submitting: () => {} }),
    ).rejects.toThrowErrorMatchingInlineSnapshot(`[InternalError: the backend gave a hash that is not 32 bytes; a raw signature needs one]`)
    expect(submitted).toBe(false)
  })
})

describe('hashExecutor, P-256', () => {
  test("behavior: a P-256 key signs the hash raw (SHA-256 of its 32 bytes, WebCrypto's prehash) or as EIP-191 (of its EIP-191 hash), each verifiable with its point", async () => {
    const pair = await generateP256Key()
    const signer = p256Signer(pair)
    const verifier = await crypto.subtle.importKey('raw', hexToBytes(pair.publicKey) as Uint8Array<ArrayBuffer>, { name: 'ECDSA', namedCurve: 'P-256' }, false, ['verify'])
    const verifies = (signature: Hex, message: Hex) =>
      crypto.subtle.verify({ name: 'ECDSA', hash: 'SHA-256' }, verifier, hexToBytes(signature) as Uint8Array<ArrayBuffer>, hexToBytes(message) as Uint8Array<ArrayBuffer>)
    const signableHash = keccak256(stringToHex('intent'))
    for (const mode of ['raw', 'eip191'] as const) {
      let signature: Hex | undefined
      const executor = hashExecutor({ signature: mode, prepare: async () => ({ hash: signableHash, intent: 'tin_1' }), submit: async (parameters) => ({ id: String((signature = parameters.signature)) }) })
      await executor({ inner: scriptedProvider(), session: sessionFixture(), calls: [], chainId: 31337, signer, submitting: () => {} })
      expect(await verifies(signature as Hex, mode === 'raw' ? signableHash : hashMessage({ raw: signableHash }))).toBe(true)
    }
  })
})
