import { expect, test } from 'vitest'
import * as keyleash from '../src/index.js'

test('the public exports of keyleash are exactly these', () => {
  expect(Object.keys(keyleash).sort()).toMatchInlineSnapshot(`
    [
      "InternalError",
      "InvalidParamsError",
      "InvalidRequestError",
      "KeyleashError",
      "UnauthorizedError",
      "checkScope",
      "defaultMaxExpiry",
      "erc7836Executor",
      "hashExecutor",
      "indexedDbStore",
      "memoryKeyStore",
      "memoryStore",
      "purgeSessions",
      "webStorageStore",
      "withSessionKeys",
    ]
  `)
})

test('the public exports of keyleash/node are exactly these', async () => {
  const node = await import('../src/node.js')
  expect(Object.keys(node).sort()).toStrictEqual(['fileStore', 'redisStore'])
})
