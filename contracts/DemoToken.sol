// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";

/// @title DemoToken (keyleash dev wallet, for local development and tests only)
/// @notice An ERC-20 with EIP-2612 permit that anyone may mint, to exercise token spend limits.
contract DemoToken is ERC20, ERC20Permit {
    constructor() ERC20("Keyleash Demo Token", "KLD") ERC20Permit("Keyleash Demo Token") {}

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    /// @dev OpenZeppelin 5 removed it; dapps still call it and session allowances count it.
    function increaseAllowance(address spender, uint256 added) external returns (bool) {
        _approve(msg.sender, spender, allowance(msg.sender, spender) + added);
        return true;
    }
}
