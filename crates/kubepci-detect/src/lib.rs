//! Falco's rule language on Kubernetes audit events.
//!
//! What this crate is: the loader of Falco rule files ([`RuleSet`]: lists, macros, rules,
//! exceptions, `append` and `override`, `enabled`, `required_engine_version`), the condition
//! parser ([`condition`]), the fields of the `k8s_audit` source ([`fields`]: the k8saudit
//! plugin's `ka.*`, the json plugin's `jevt.*` and kubepci's `kubepci.*`), a compiler to an
//! [`Engine`] that evaluates events without allocating, and the alerts in falcosidekick's
//! shape ([`Alert`]), with card numbers masked.
//!
//! What it is not: no I/O and no async. Reading files, the store and the network is the
//! caller's business; this crate takes bytes and gives alerts.
//!
//! ```
//! use kubepci_detect::{Detector, Engine, EngineOptions, EventMeta, RuleSet};
//!
//! let mut rules = RuleSet::new();
//! rules.load("rules.yaml", r#"
//! - rule: Exec into a pod
//!   desc: kubectl exec
//!   condition: ka.target.subresource = exec and ka.verb = create
//!   output: "exec by %ka.user.name into %ka.target.namespace/%ka.target.name"
//!   priority: NOTICE
//!   source: k8s_audit
//! "#).unwrap();
//! let engine = Engine::compile(&rules, EngineOptions::default()).unwrap();
//! let mut detector = Detector::new(&engine);
//! let event = br#"{"kind":"Event","auditID":"1","stage":"ResponseStarted","verb":"create",
//!   "user":{"username":"alice"},"objectRef":{"resource":"pods","namespace":"shop","name":"web",
//!   "subresource":"exec"},"stageTimestamp":"2024-05-01T10:00:00.000000Z"}"#;
//! let mut alerts = Vec::new();
//! detector.detect(event, &EventMeta { source: "apiserver", received_ns: 0 }, &mut alerts).unwrap();
//! assert_eq!(alerts[0].output, "10:00:00.000000000: Notice exec by alice into shop/web");
//! ```

pub mod builtin;
pub mod compile;
pub mod condition;
mod detector;
pub mod fields;
pub mod input;
mod json;
pub mod loader;
pub mod matching;
mod priority;
pub mod review;
mod state;
mod yaml;

pub use compile::{CompiledRule, Engine, EngineOptions, Matching, SOURCE};
pub use detector::{Alert, Detector, EventError, EventMeta, format_time_ns, mask_card_numbers};
pub use loader::{ENGINE_VERSION, LoadError, LoadWarning, Location, RuleDef, RuleSet, fuzz_load};
pub use priority::Priority;
