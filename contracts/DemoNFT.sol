// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ERC721} from "@openzeppelin/contracts/token/ERC721/ERC721.sol";

/// @title DemoNFT (keyleash dev wallet, for local development and tests only)
/// @notice An ERC-721 that anyone may mint, for the "mint an asset" flow. Ids are 1, 2, 3, ...
contract DemoNFT is ERC721 {
    uint256 private _minted;

    constructor() ERC721("Keyleash Demo NFT", "KLNFT") {}

    /// @dev `_mint`, not `_safeMint`: minting must not depend on the receiver's callback.
    function mint(address to) external returns (uint256 tokenId) {
        tokenId = ++_minted;
        _mint(to, tokenId);
    }

    function totalSupply() external view returns (uint256) {
        return _minted;
    }
}
