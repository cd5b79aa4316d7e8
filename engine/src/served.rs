//! The immutable snapshot of what the HTTP side serves, published by the engine after every
//! revision. The server reads it; it never reaches into the engine.
