import { describe, expect, test } from 'vitest'
import { importEncryptionKey } from '../../../src/sessions/stores/encryption.js'
import { nodeRecordAuth } from '../../../src/sessions/stores/nodeRecordAuth.js'
import { recordAuth } from '../../../src/sessions/stores/recordAuth.js'
import { openRecord, sealRecord } from '../../../src/sessions/stores/serialize.js'
import { sessionFixture } from '../../utils/sessionFixture.js'

describe('recordAuth: WebCrypto in the browser, node:crypto in Node, one key and one tag', () => {
  const keys = async () => {
    const web = await recordAuth(await importEncryptionKey(crypto.getRandomValues(new Uint8Array(32))))
    return { web, node: nodeRecordAuth(web) }
  }

  test('behavior: a tag made by either verifies under the other, and is the same tag', async () => {
    const { web, node } = await keys()
    const text = 'keyleash/session\u00000x01\u0000{"v":1,"session":{"note":"ünïcode ✓"}}'
    const tag = await web.tag(text)
    expect(tag).toMatch(/^[0-9a-f]{64}$/)
    expect(await node.tag(text)).toBe(tag)
    expect(await node.verify(text, tag)).toBe(true)
    expect(await web.verify(text, await node.tag(text))).toBe(true)
  })

  test('behavior: a record sealed in a browser opens in Node, and one sealed in Node opens in a browser', async () => {
    const { web, node } = await keys()
    const session = sessionFixture({ id: '0x01' })
    expect(await openRecord('0x01', await sealRecord(session, web), node)).toStrictEqual(session)
    expect(await openRecord('0x01', await sealRecord(session, node), web)).toStrictEqual(session)
  })

  test.each(['web', 'node'] as const)('error: %s refuses an altered text, another id, another key, and a tag of another shape', async (side) => {
    const auth = (await keys())[side]
    const other = (await keys())[side]
    const tag = await auth.tag('some text')
    expect(await auth.verify('some text', tag)).toBe(true)
    expect(await auth.verify('some other text', tag)).toBe(false)
    for (const shape of [tag.slice(2), `${tag}00`, `${tag.slice(0, -2)}zz`, tag.toUpperCase(), ''])
      expect(await auth.verify('some text', shape)).toBe(false)
    const value = await sealRecord(sessionFixture({ id: '0x01' }), auth)
    const altered = value.replace('"calls":0', '"calls":1')
    expect(altered).not.toBe(value)
    for (const [id, stored, by] of [['0x01', altered, auth], ['0x02', value, auth], ['0x01', value, other]] as const)
      await expect(openRecord(id, stored, by)).rejects.toMatchObject({
        code: -32603,
        message: 'the entry fails its authentication tag: it was altered, or written under another id or encryptionKey',
      })
    await expect(openRecord('0x01', `${value.slice(0, -74)}}`, auth)).rejects.toMatchObject({
      code: -32603,
      message: 'the entry carries no authentication tag, and the store has an encryptionKey: it was not written by this store',
    })
  })
})
