//! Shared pieces of the integration tests.
#![allow(dead_code)]

pub mod app;
pub mod deck;
pub mod fake_hivesigner;
pub mod fake_node;
pub mod keyring;
