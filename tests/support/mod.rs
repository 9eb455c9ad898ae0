//! Shared pieces of the integration tests.
#![allow(dead_code)]

pub mod app;
pub mod consent_page;
pub mod core;
pub mod deck;
pub mod keyring;
pub mod kinds;
pub mod openers;
pub mod package;
pub mod seed;
pub mod window;
