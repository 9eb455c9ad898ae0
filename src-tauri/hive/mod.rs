//! The Hive (and Steem) chain's own rules that Authdeck checks before talking to a provider.

pub mod account_name;
pub mod describe;
pub mod links;
pub mod ops;
pub mod signers;
pub mod validate;
pub mod value;
