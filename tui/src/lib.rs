//! hotloop cli
