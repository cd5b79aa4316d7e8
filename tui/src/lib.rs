//! hotloop cli

pub mod dashboard;
pub mod headless;
