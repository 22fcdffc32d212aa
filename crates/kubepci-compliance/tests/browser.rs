//! The example's HTML report rendered in headless Chromium, to PDF (page count, every
//! requirement heading in the text) and PNG, with no console error. Needs Debian's `chromium`
//! and `poppler-utils` (`.ci/run` installs them and sets `KUBEPCI_REQUIRE_BROWSER=1`, which
//! turns a missing browser into a failure instead of a skip). The browser gets no network.

mod common;

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn tool(name: &str) -> Option<String> {
    let found = Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {name}"))
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned());
    if found.is_none() {
        let required = std::env::var("KUBEPCI_REQUIRE_BROWSER").is_ok_and(|v| v == "1");
        assert!(!required, "{name} is missing and KUBEPCI_REQUIRE_BROWSER=1");
        eprintln!("skipping: {name} not found (apt-get install chromium poppler-utils)");
    }
    found
}

/// Runs a command with a deadline, killing it when the deadline passes. Its output goes to
/// files (a full pipe would stall it while we wait).
fn run(command: &mut Command, deadline: Duration) -> Output {
    let capture = tempfile::tempdir().expect("tempdir");
    let (out_path, err_path) = (capture.path().join("out"), capture.path().join("err"));
    let mut child = command
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out_path).expect("stdout file"))
        .stderr(std::fs::File::create(&err_path).expect("stderr file"))
        .spawn()
        .expect("the program starts");
    let start = Instant::now();
    loop {
        if child.try_wait().expect("wait").is_some() {
            break;
        }
        if start.elapsed() > deadline {
            let _ = child.kill();
            panic!("{command:?} did not finish within {deadline:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Output {
        status: child.wait().expect("exit status"),
        stdout: std::fs::read(&out_path).expect("stdout"),
        stderr: std::fs::read(&err_path).expect("stderr"),
    }
}

fn chromium(binary: &str, profile: &Path, extra: &[String], page: &Path) -> Output {
    let mut cmd = Command::new(binary);
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-extensions",
        "--enable-logging=stderr",
        "--v=0",
    ])
    .arg(format!("--user-data-dir={}", profile.display()))
    .args(extra)
    .arg(format!("file://{}", page.display()));
    let out = run(&mut cmd, Duration::from_secs(180));
    assert!(
        out.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Console messages and failed loads the page caused (Chromium logs them as `CONSOLE` lines).
fn page_errors(stderr: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(stderr)
        .lines()
        .filter(|l| {
            l.contains("CONSOLE")
                || l.contains("Uncaught")
                || l.contains("net::ERR_")
                || l.contains("Failed to load resource")
        })
        .map(str::to_owned)
        .collect()
}

fn png_size(bytes: &[u8]) -> (u32, u32) {
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "a PNG");
    let be =
        |at: usize| u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]);
    (be(16), be(20))
}

#[test]
fn the_html_report_renders_in_chromium() {
    let (Some(browser), Some(pdftotext), Some(pdfinfo)) =
        (tool("chromium"), tool("pdftotext"), tool("pdfinfo"))
    else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let page = dir.path().join("report.html");
    let report = common::example_report();
    std::fs::write(&page, kubepci_compliance::render::html(&report)).expect("write");

    // PDF, as the print stylesheet paginates it.
    let pdf = dir.path().join("report.pdf");
    let printed = chromium(
        &browser,
        &dir.path().join("profile-pdf"),
        &[
            "--no-pdf-header-footer".to_owned(),
            format!("--print-to-pdf={}", pdf.display()),
        ],
        &page,
    );
    assert!(pdf.is_file(), "no PDF written");
    let info = run(Command::new(&pdfinfo).arg(&pdf), Duration::from_secs(30));
    let info = String::from_utf8_lossy(&info.stdout).into_owned();
    let pages: u32 = info
        .lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .and_then(|n| n.trim().parse().ok())
        .expect("pdfinfo gives a page count");
    // One page or more per principal requirement, bounded: a runaway layout (a page per
    // table row, an unbreakable block) shows here.
    assert!((15..=250).contains(&pages), "{pages} pages");
    let text = run(
        Command::new(&pdftotext).arg(&pdf).arg("-"),
        Duration::from_secs(60),
    );
    let text = String::from_utf8_lossy(&text.stdout)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    for p in kubepci_rules::pci::principals() {
        let heading = if p.id.starts_with('A') {
            format!("Appendix {}: ", p.id)
        } else {
            format!("Requirement {}: ", p.id)
        };
        assert!(text.contains(&heading), "the PDF lacks `{heading}`");
    }
    for r in report
        .requirements
        .iter()
        .filter(|r| r.classification != "not-applicable")
    {
        assert!(
            text.contains(&format!("{} ", r.id)),
            "the PDF lacks requirement {}",
            r.id
        );
    }
    assert!(text.contains("Needs attention"));
    assert!(text.contains("Scope statement"));

    // PNG of the first screen: the overview.
    let png = dir.path().join("report.png");
    let shot = chromium(
        &browser,
        &dir.path().join("profile-png"),
        &[
            "--window-size=1200,1700".to_owned(),
            "--hide-scrollbars".to_owned(),
            format!("--screenshot={}", png.display()),
        ],
        &page,
    );
    let bytes = std::fs::read(&png).expect("a screenshot");
    assert_eq!(png_size(&bytes), (1200, 1700));
    assert!(
        bytes.len() > 20_000,
        "a blank screenshot is tiny: {} bytes",
        bytes.len()
    );
    if let Ok(keep) = std::env::var("KUBEPCI_KEEP_SCREENSHOT") {
        std::fs::copy(&png, &keep).expect("copy the screenshot");
        std::fs::copy(&pdf, format!("{keep}.pdf")).expect("copy the PDF");
    }

    let errors: Vec<String> = page_errors(&printed.stderr)
        .into_iter()
        .chain(page_errors(&shot.stderr))
        .collect();
    assert!(errors.is_empty(), "console errors: {errors:#?}");
}
