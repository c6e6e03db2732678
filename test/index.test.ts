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
      "memoryKeyStore",
      "memoryStore",
      "withSessionKeys",
    ]
  `)
})
