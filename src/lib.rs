#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod delivery;
mod error;
mod open_enums;

pub use error::{Error, Result};
