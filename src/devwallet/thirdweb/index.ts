export { type CreateDevThirdwebOptions, type DevThirdweb, createDevThirdweb } from './wallet.js'
export { createThirdwebAccount, deployThirdwebFactory } from './deploy.js'
export { thirdwebAccountAbi, thirdwebAccountFactoryAbi } from './artifacts.js'
