//! The admission side of the engine: the same rules, configuration, scope resolution and
//! waiver register as a scan, applied to one object at a time with the cluster around it
//! known from a context.
//!
//! - [`Admitter`]: which rules run at admission (by the kinds they read; scan-only rules are
//!   left out), the objects of the context each kind needs, and the evaluation of one object.
//! - [`ContextStore`]: the cluster context (objects by kind, namespace and name).
//! - [`Admitter::review`]: from a request to a [`Decision`] under the [`AdmissionSettings`]
//!   (`admission:` in `kubepci.yaml`): modes by scope, namespace and rule, the severity that
//!   denies, findings that an UPDATE's old object already had.
//!
//! Pure: no I/O and no async. The webhook server (`kubepci-webhook`) decodes AdmissionReviews
//! and calls [`Admitter::review`].

mod context;
mod decision;
mod evaluate;
mod settings;

pub use context::{ContextSource, ContextStore};
pub use decision::{Action, Decision, Operation, Outcome, Review, Skipped};
pub use evaluate::{
    Admitter, Evaluation, EvaluationError, ObjectUnderReview, Requester, with_type_meta,
};
pub use settings::{
    AdmissionSettings, ExistingFindings, FailurePolicy, Mode, RawAdmission, ScopeModes,
};
