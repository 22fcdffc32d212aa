//! Core types shared by every kubepci crate.
//!
//! - [`Node`]: a parsed YAML/JSON document as a tree in which every value keeps its source
//!   [`Position`], so that any [`JsonPointer`] into an object maps back to a line.
//! - [`Finding`], [`Severity`], [`Scope`], [`ObjectRef`]: what the rule engine produces.
//!
//! This crate does no I/O and has no async code; it depends only on serde.

mod finding;
mod node;
mod pointer;
mod position;
mod scope;
mod severity;

pub use finding::{Finding, Location, ObjectRef, WaiverRef};
pub use node::{Entry, Node, Value};
pub use pointer::JsonPointer;
pub use position::Position;
pub use scope::Scope;
pub use severity::Severity;
