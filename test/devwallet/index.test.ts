import { expect, test } from 'vitest'
import * as devwallet from '../../src/devwallet/index.js'

test('default: the keyleash/devwallet entry exports exactly this', () => {
  expect(Object.keys(devwallet).sort()).toMatchInlineSnapshot(`
    [
      "ANY_SELECTOR",
      "DevBundlerError",
      "DevChainError",
      "SESSION_ACCOUNT_DOMAIN",
      "connectDevWallet",
      "createDevMetaMask",
      "createDevOpenfort",
      "createDevThirdweb",
      "createDevWallet",
      "demoNftAbi",
      "demoTokenAbi",
      "deployDemoNft",
      "deployDemoToken",
      "deployDevContracts",
      "deployEntryPoints",
      "deploySessionAccount",
      "devWalletDialects",
      "executeTypedData",
      "executeTypes",
      "fund",
      "randomExecuteNonce",
      "serveDevWallet",
      "sessionAccountAbi",
      "startBundler",
      "startDevChain",
      "startOpenfortBackend",
      "thirdwebAccountAbi",
    ]
  `)
})
