import { describe, expect, test } from 'vitest'
import { aesGcmCipher } from '../../../src/sessions/stores/encryption.js'
import { encodeSession, hasTag, sealRecord, tagOf } from '../../../src/sessions/stores/serialize.js'
import { sessionFixture } from '../../utils/sessionFixture.js'

describe("a sealed record's tag, read without checking it", () => {
  test('default: tagOf reads the 64 hex characters a sealed record ends with, and hasTag agrees', async () => {
    const value = await sealRecord(sessionFixture(), (await aesGcmCipher(`0x${'44'.repeat(32)}`)).records)
    const tag = tagOf(value)
    expect(tag).toMatch(/^[0-9a-f]{64}$/)
    expect(value.endsWith(`,"tag":"${tag}"}`)).toBe(true)
    expect(hasTag(value, tag!)).toBe(true)
    expect(hasTag(value, '0'.repeat(64))).toBe(false)
  })

  test('rule: a record without a tag, or shorter than one, has none', () => {
    const plain = encodeSession(sessionFixture())
    expect(tagOf(plain)).toBeUndefined()
    const bare = `${'a'.repeat(64)}"}`
    expect(tagOf(bare)).toBeUndefined()
    expect(hasTag(bare, 'a'.repeat(64))).toBe(false)
    expect(hasTag(`,"tag":"${'a'.repeat(63)}"}`, 'a'.repeat(64))).toBe(false)
  })
})
