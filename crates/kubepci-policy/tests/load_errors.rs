//! Policy files with problems are clear errors with file and line, all of them at once.

use kubepci_policy::{LoadOptions, PolicyErrorKind, PolicySet, PolicySource};

fn load(files: &[(&str, &str)]) -> Result<PolicySet, Vec<kubepci_policy::PolicyError>> {
    let sources: Vec<PolicySource> = files
        .iter()
        .map(|(name, text)| PolicySource {
            name: (*name).to_owned(),
            bytes: text.as_bytes().to_vec(),
        })
        .collect();
    PolicySet::load(&sources, LoadOptions::default())
}

const TEMPLATE: &str = "apiVersion: templates.gatekeeper.sh/v1
kind: ConstraintTemplate
metadata:
  name: k8sdemo
spec:
  crd:
    spec:
      names:
        kind: K8sDemo
  targets:
    - target: admission.k8s.gatekeeper.sh
      rego: |
        package k8sdemo

        violation[{\"msg\": msg}] {
          input.review.object.metadata.name == \"bad\"
          msg := \"bad name\"
        }
";

#[test]
fn rego_errors_name_the_line_in_the_yaml_file() {
    let broken = TEMPLATE.replace(
        "msg := \"bad name\"",
        "msg := \"bad name\"\n          x := 1 +* 2",
    );
    let errors = load(&[("t.yaml", &broken)]).expect_err("syntax error");
    assert_eq!(errors.len(), 1);
    let text = errors[0].to_string();
    assert!(matches!(errors[0].kind, PolicyErrorKind::Rego(_)), "{text}");
    assert!(
        text.contains("t.yaml:18"),
        "the error is on line 18 of the file: {text}"
    );
}

#[test]
fn cel_errors_name_the_expression() {
    let vap = "apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: p}
spec:
  matchConstraints:
    resourceRules: [{apiGroups: [''], apiVersions: [v1], operations: [CREATE], resources: [pods]}]
  validations:
    - expression: 'object.spec.containers.all(c, c.image.endsWith(\":1\")'
";
    let errors = load(&[("v.yaml", vap)]).expect_err("unbalanced parenthesis");
    assert!(
        matches!(errors[0].kind, PolicyErrorKind::Cel(_)),
        "{}",
        errors[0]
    );
    assert_eq!(errors[0].location.line, 8, "{}", errors[0]);
}

#[test]
fn annotations_must_name_real_requirements_and_severities() {
    let constraint = "apiVersion: constraints.gatekeeper.sh/v1beta1
kind: K8sDemo
metadata:
  name: demo
  annotations:
    kubepci.io/pci: \"2.2.6, 99.1\"
    kubepci.io/severity: urgent
";
    let errors =
        load(&[("t.yaml", TEMPLATE), ("c.yaml", constraint)]).expect_err("bad annotations");
    assert!(
        matches!(&errors[0].kind, PolicyErrorKind::UnknownSeverity(s) if s == "urgent"),
        "{errors:?}"
    );
    let fixed = constraint.replace("urgent", "high");
    let errors = load(&[("t.yaml", TEMPLATE), ("c.yaml", &fixed)]).expect_err("bad PCI ID");
    assert!(
        matches!(&errors[0].kind, PolicyErrorKind::UnknownRequirement(id) if id == "99.1"),
        "{errors:?}"
    );
    assert_eq!(errors[0].location.line, 6, "the annotation's line");
    let good = fixed.replace(", 99.1", "");
    let set = load(&[("t.yaml", TEMPLATE), ("c.yaml", &good)]).expect("valid");
    assert_eq!(set.policies[0].id, "gk:K8sDemo/demo");
    assert_eq!(set.policies[0].pci, ["2.2.6"]);
}

#[test]
fn every_problem_is_reported_at_once() {
    let orphan =
        "apiVersion: constraints.gatekeeper.sh/v1beta1\nkind: K8sMissing\nmetadata: {name: x}\n";
    let binding = "apiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingAdmissionPolicyBinding\nmetadata: {name: b}\nspec:\n  policyName: nope\n  validationActions: [Deny]\n";
    let errors = load(&[
        ("a.yaml", orphan),
        ("b.yaml", binding),
        ("t.yaml", "kind: [\n"),
    ])
    .expect_err("three problems");
    assert_eq!(errors.len(), 3, "{errors:?}");
    assert!(errors.iter().any(
        |e| matches!(&e.kind, PolicyErrorKind::UnknownConstraintKind(k) if k == "K8sMissing")
    ));
    assert!(
        errors
            .iter()
            .any(|e| matches!(&e.kind, PolicyErrorKind::UnknownPolicy(p) if p == "nope"))
    );
    assert!(
        errors
            .iter()
            .any(|e| matches!(&e.kind, PolicyErrorKind::Parse(_)))
    );
}
