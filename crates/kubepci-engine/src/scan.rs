//! Inputs → findings.

use std::collections::{BTreeMap, HashSet};
use std::time::{Duration, Instant};

use kubepci_k8s::source::InputPath;
use kubepci_k8s::{InputError, Inventory, KindFilter, LoadStats, Loaded, NamespaceInfo, load};
use kubepci_model::{Finding, ObjectRef};
use kubepci_rules::inventory::{CERTIFICATE_KINDS, CertificateEntry, certificates};
use kubepci_rules::loaded::ANY_KIND;
use kubepci_rules::{RuleMeta, RuleRef, Shared, run_rule_shared};
use rayon::prelude::*;
use time::Date;

use crate::{Config, WAIVER_ANNOTATION, WaiverNote, WaiverRegister};

/// One input already in memory.
#[derive(Debug, Clone)]
pub struct Input {
    /// How findings name it.
    pub name: String,
    /// Its bytes.
    pub bytes: Vec<u8>,
}

/// How to scan.
#[derive(Clone)]
pub struct ScanOptions {
    /// The configuration.
    pub config: Config,
    /// The rules to run (see [`crate::RuleSelection`]): compiled ones and loaded policies.
    pub rules: Vec<RuleRef>,
    /// The waiver register, if any.
    pub waivers: Option<WaiverRegister>,
    /// Namespace assumed for namespaced objects that name none (`kubectl apply -n`).
    pub default_namespace: Option<String>,
    /// The date waivers are evaluated on.
    pub as_of: Date,
}

/// What a scan found.
#[derive(Debug)]
pub struct ScanReport {
    /// Findings in deterministic order (file, line, rule, object, pointer).
    pub findings: Vec<Finding>,
    /// Documents that could not be loaded.
    pub errors: Vec<InputError>,
    /// Counts over the input.
    pub stats: LoadStats,
    /// Every namespace seen and its scope.
    pub namespaces: Vec<NamespaceInfo>,
    /// What the report must say about the waiver register.
    pub waiver_notes: Vec<WaiverNote>,
    /// The rules that ran.
    pub rules: Vec<&'static RuleMeta>,
    /// Identity of every object the rules saw, in input order.
    pub objects: Vec<ObjectRef>,
    /// The date waivers were evaluated on (and certificates' expiry measured against).
    pub as_of: Date,
    /// The certificate inventory of the input (PCI DSS 4.2.1.1).
    pub certificates: Vec<CertificateEntry>,
    /// The image signatures verified in the registries (`kubepci scan --verify-images`):
    /// every image a signing policy covers, with its digest and signer or why it failed.
    pub image_verifications: Vec<kubepci_rules::signatures::ImageVerification>,
    /// Time spent loading and checking.
    pub elapsed: Duration,
}

impl ScanReport {
    /// The metadata of a rule that ran (compiled or loaded).
    #[must_use]
    pub fn rule(&self, id: &str) -> Option<&'static RuleMeta> {
        self.rules.iter().copied().find(|m| m.id == id)
    }
}

/// The kinds the selected rules need parsed (plus Namespaces, which carry scope, and what the
/// certificate inventory reads); every kind when a rule reads any.
fn kind_filter(rules: &[RuleRef]) -> KindFilter {
    if rules
        .iter()
        .any(|r| r.meta().target.kinds().contains(&ANY_KIND))
    {
        return KindFilter::All;
    }
    let mut kinds: HashSet<String> = rules
        .iter()
        .flat_map(|r| r.meta().target.kinds().iter().map(|k| (*k).to_owned()))
        .chain(CERTIFICATE_KINDS.iter().map(|k| (*k).to_owned()))
        .collect();
    kinds.insert("Namespace".to_owned());
    KindFilter::Only(kinds)
}

/// Reads and scans files, directories' manifests and stdin.
#[must_use]
pub fn scan(paths: &[InputPath], options: &ScanOptions) -> ScanReport {
    scan_with(paths, options, &mut |_, _| {})
}

/// What [`scan_with`] calls once the input is loaded, before any rule runs: it may add to
/// the rule settings what it learns from the inventory (`--verify-images` verifies the
/// images of the pod templates in their registries and hands the results to the rules).
pub type Prepare<'a> = dyn FnMut(&Inventory, &mut kubepci_rules::Settings) + 'a;

/// [`scan`] with a step between loading and the rules (see [`Prepare`]).
#[must_use]
pub fn scan_with(
    paths: &[InputPath],
    options: &ScanOptions,
    prepare: &mut Prepare<'_>,
) -> ScanReport {
    let start = Instant::now();
    let filter = kind_filter(&options.rules);
    let loaded = read_and_load(paths, &filter, options.default_namespace.as_deref());
    finish(loaded, options, start, prepare)
}

/// Reads and loads every input in parallel.
fn read_and_load(
    paths: &[InputPath],
    filter: &KindFilter,
    default_namespace: Option<&str>,
) -> Vec<Loaded> {
    paths
        .par_iter()
        .map_init(Vec::new, |buffer, path| match path.read_into(buffer) {
            Ok(()) => load(&path.display_name(), buffer, filter, default_namespace),
            Err(error) => Loaded {
                errors: vec![error],
                stats: LoadStats {
                    files: 1,
                    errors: 1,
                    ..LoadStats::default()
                },
                ..Loaded::default()
            },
        })
        .collect()
}

/// The whole input as one inventory, for commands that analyse it without running rules
/// (`kubepci segmentation`).
#[derive(Debug)]
pub struct LoadedInventory {
    /// Every object of the kinds asked for, indexed, with the configuration's scopes.
    pub inventory: Inventory,
    /// Documents that could not be loaded.
    pub errors: Vec<InputError>,
    /// Counts over the input.
    pub stats: LoadStats,
}

/// Reads files, directories' manifests and stdin into an inventory, the way [`scan`] does
/// (same loader, same scope overrides from `config`), parsing only the `kinds` asked for
/// (and Namespaces).
#[must_use]
pub fn load_inventory(
    paths: &[InputPath],
    kinds: &[&str],
    config: &Config,
    default_namespace: Option<&str>,
) -> LoadedInventory {
    let mut wanted: HashSet<String> = kinds.iter().map(|k| (*k).to_owned()).collect();
    wanted.insert("Namespace".to_owned());
    let loaded = read_and_load(paths, &KindFilter::Only(wanted), default_namespace);
    let (objects, errors, stats) = merge(loaded);
    LoadedInventory {
        inventory: Inventory::with_labels(objects, &config.scopes, config.settings.labels.clone()),
        errors,
        stats,
    }
}

/// [`load_inventory`] for inputs already in memory.
#[must_use]
pub fn load_inventory_inputs(
    inputs: &[Input],
    kinds: &[&str],
    config: &Config,
    default_namespace: Option<&str>,
) -> LoadedInventory {
    let mut wanted: HashSet<String> = kinds.iter().map(|k| (*k).to_owned()).collect();
    wanted.insert("Namespace".to_owned());
    let filter = KindFilter::Only(wanted);
    let loaded: Vec<Loaded> = inputs
        .par_iter()
        .map(|input| load(&input.name, &input.bytes, &filter, default_namespace))
        .collect();
    let (objects, errors, stats) = merge(loaded);
    LoadedInventory {
        inventory: Inventory::new(objects, &config.scopes),
        errors,
        stats,
    }
}

fn merge(loaded: Vec<Loaded>) -> (Vec<kubepci_k8s::Object>, Vec<InputError>, LoadStats) {
    let mut stats = LoadStats::default();
    let mut objects = Vec::new();
    let mut errors = Vec::new();
    for file in loaded {
        stats.add(&file.stats);
        objects.extend(file.objects);
        errors.extend(file.errors);
    }
    (objects, errors, stats)
}

/// Scans inputs already in memory.
#[must_use]
pub fn scan_inputs(inputs: &[Input], options: &ScanOptions) -> ScanReport {
    let start = Instant::now();
    let filter = kind_filter(&options.rules);
    let loaded: Vec<Loaded> = inputs
        .par_iter()
        .map(|input| {
            load(
                &input.name,
                &input.bytes,
                &filter,
                options.default_namespace.as_deref(),
            )
        })
        .collect();
    finish(loaded, options, start, &mut |_, _| {})
}

fn finish(
    loaded: Vec<Loaded>,
    options: &ScanOptions,
    start: Instant,
    prepare: &mut Prepare<'_>,
) -> ScanReport {
    let (objects, errors, stats) = merge(loaded);
    let inventory = Inventory::with_labels(
        objects,
        &options.config.scopes,
        options.config.settings.labels.clone(),
    );
    let mut settings = settings_for(options);
    prepare(&inventory, &mut settings);
    let settings = &settings;
    // Indexes several cross-resource rules read, built once for all of them.
    let shared = Shared::default();
    let mut findings: Vec<Finding> = options
        .rules
        .par_iter()
        .flat_map_iter(|rule| {
            let mut out = Vec::new();
            run_rule_shared(&**rule, &inventory, settings, &shared, &mut out);
            out
        })
        .collect();
    let waiver_notes = match &options.waivers {
        Some(register) => {
            register.apply(&mut findings, &annotated_waivers(&inventory), options.as_of)
        }
        None => Vec::new(),
    };
    findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    findings.dedup();
    tracing::debug!(
        files = stats.files,
        documents = stats.documents,
        objects = stats.objects,
        findings = findings.len(),
        "scan complete"
    );
    ScanReport {
        findings,
        errors,
        stats,
        namespaces: inventory.namespaces().cloned().collect(),
        waiver_notes,
        rules: options.rules.iter().map(|r| r.meta()).collect(),
        objects: inventory.objects().iter().map(|o| o.id.clone()).collect(),
        as_of: options.as_of,
        certificates: certificates(&inventory),
        image_verifications: settings.image_verifications.iter().cloned().collect(),
        elapsed: start.elapsed(),
    }
}

/// The rule settings of a scan: the configured ones, with the scan date the rules measure
/// ages against (rules never read the clock).
fn settings_for(options: &ScanOptions) -> kubepci_rules::Settings {
    let mut settings = options.config.settings.clone();
    settings.as_of.get_or_insert(options.as_of);
    settings
}

/// Objects whose `kubepci.io/waiver` annotation points into the register.
fn annotated_waivers(inventory: &Inventory) -> BTreeMap<ObjectRef, Vec<String>> {
    inventory
        .objects()
        .iter()
        .filter_map(|o| {
            let ids = o.annotation(WAIVER_ANNOTATION)?;
            let ids: Vec<String> = ids
                .split(',')
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .collect();
            Some((o.id.clone(), ids))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{RuleSelection, parse_waivers};
    use time::macros::date;

    fn options(waivers: Option<WaiverRegister>) -> ScanOptions {
        ScanOptions {
            config: Config::default(),
            rules: RuleSelection::default().resolve(&[]).expect("all rules"),
            waivers,
            default_namespace: None,
            as_of: date!(2026 - 06 - 01),
        }
    }

    const MANIFEST: &str = "apiVersion: v1
kind: Namespace
metadata: {name: payments, labels: {kubepci.io/scope: cde}}
---
apiVersion: v1
kind: Pod
metadata:
  name: debug
  namespace: payments
  annotations: {kubepci.io/waiver: W-7}
spec:
  hostNetwork: true
  containers:
    - name: app
      image: registry.example.com/app:1.0.0
---
apiVersion: v1
kind: Pod
metadata: {name: broken, namespace: payments
";

    #[test]
    fn findings_are_ordered_scoped_and_errors_kept() {
        let report = scan_inputs(
            &[Input {
                name: "m.yaml".into(),
                bytes: MANIFEST.as_bytes().to_vec(),
            }],
            &options(None),
        );
        assert_eq!(report.errors.len(), 1);
        assert!(
            report
                .findings
                .iter()
                .all(|f| f.scope == kubepci_model::Scope::Cde)
        );
        let lines: Vec<u32> = report
            .findings
            .iter()
            .filter_map(|f| f.location.as_ref().map(|l| l.line))
            .collect();
        assert!(lines.windows(2).all(|w| w[0] <= w[1]));
        assert!(report.findings.iter().any(|f| f.rule_id == "KP1004"));
        assert!(report.findings.iter().any(|f| f.rule_id == "KP1103"));
    }

    #[test]
    fn annotation_points_into_the_register() {
        let register = parse_waivers(
            "w.yaml",
            "waivers:\n  - id: W-7\n    rules: [KP1004]\n    justification: j\n    approver: a\n    created: 2026-05-01\n    expires: 2026-07-01\n",
        )
        .expect("valid");
        let report = scan_inputs(
            &[Input {
                name: "m.yaml".into(),
                bytes: MANIFEST.as_bytes().to_vec(),
            }],
            &options(Some(register)),
        );
        let host_network = report
            .findings
            .iter()
            .find(|f| f.rule_id == "KP1004")
            .expect("finding");
        assert_eq!(
            host_network.waiver.as_ref().map(|w| w.id.as_str()),
            Some("W-7")
        );
        assert!(
            report
                .findings
                .iter()
                .filter(|f| f.rule_id != "KP1004")
                .all(|f| f.waiver.is_none())
        );
    }
}
