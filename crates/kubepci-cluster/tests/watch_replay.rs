//! The watch path against a loopback HTTP server that replays recorded apiserver answers: a
//! list, watch events (added, bookmark, modified, deleted), `410 Gone` and the relist that
//! follows, and a custom resource the cluster does not serve (404).

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use kubepci_cluster::{ContextSink, spawn_watches};
use kubepci_k8s::Object;

fn data(name: &str) -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data")
            .join(name),
    )
    .expect("recorded answer")
}

/// Recorded answers by resource path: lists and watches, served in order; once a resource's
/// watches are used up, its watch stays open without events (a quiet cluster).
#[derive(Default)]
struct Replay {
    lists: HashMap<String, Vec<String>>,
    watches: HashMap<String, Vec<String>>,
    requests: Vec<String>,
}

async fn serve(State(replay): State<Arc<Mutex<Replay>>>, request: Request) -> Response {
    let path = request.uri().path().to_owned();
    let query = request.uri().query().unwrap_or_default().to_owned();
    let watch = query
        .split('&')
        .any(|p| p == "watch=true" || p == "watch=1");
    let mut replay = replay.lock().expect("replay");
    replay.requests.push(format!("{path}?{query}"));
    if path.contains("ciliumnetworkpolicies") {
        return (StatusCode::NOT_FOUND, data("not-found.json")).into_response();
    }
    let queue = if watch {
        replay.watches.get_mut(&path)
    } else {
        replay.lists.get_mut(&path)
    };
    match queue {
        Some(answers) if !answers.is_empty() => {
            let answer = if answers.len() > 1 || watch {
                answers.remove(0)
            } else {
                answers[0].clone()
            };
            (
                StatusCode::OK,
                [("content-type", "application/json")],
                answer,
            )
                .into_response()
        }
        _ if watch => Response::builder()
            .header("content-type", "application/json")
            .body(Body::from_stream(futures_util::stream::pending::<
                Result<bytes::Bytes, std::io::Error>,
            >()))
            .expect("response"),
        _ => (StatusCode::NOT_FOUND, data("not-found.json")).into_response(),
    }
}

/// Kind, namespace, name.
type Key = (String, Option<String>, String);

#[derive(Default)]
struct Recorder {
    objects: Mutex<BTreeMap<Key, Object>>,
    relists: Mutex<Vec<(String, usize)>>,
    synced: Mutex<bool>,
}

impl ContextSink for Recorder {
    fn relisted(&self, kind: &'static str, objects: Vec<Object>) {
        let mut all = self.objects.lock().expect("objects");
        all.retain(|(k, _, _), _| k != kind);
        self.relists
            .lock()
            .expect("relists")
            .push((kind.to_owned(), objects.len()));
        for o in objects {
            all.insert(key(&o), o);
        }
    }
    fn applied(&self, object: Object) {
        self.objects
            .lock()
            .expect("objects")
            .insert(key(&object), object);
    }
    fn deleted(&self, kind: &str, namespace: Option<&str>, name: &str) {
        self.objects.lock().expect("objects").remove(&(
            kind.to_owned(),
            namespace.map(str::to_owned),
            name.to_owned(),
        ));
    }
    fn synced(&self) {
        *self.synced.lock().expect("synced") = true;
    }
}

fn key(o: &Object) -> Key {
    (
        o.kind().to_owned(),
        o.namespace().map(str::to_owned),
        o.name().to_owned(),
    )
}

impl Recorder {
    fn names(&self, kind: &str) -> Vec<String> {
        self.objects
            .lock()
            .expect("objects")
            .keys()
            .filter(|(k, _, _)| k == kind)
            .map(|(_, _, n)| n.clone())
            .collect()
    }
}

async fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    for _ in 0..500 {
        if check() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("timed out waiting for {what}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lists_follows_events_relists_after_410_and_skips_absent_kinds() {
    let replay = Arc::new(Mutex::new(Replay::default()));
    {
        let mut r = replay.lock().expect("replay");
        r.lists.insert(
            "/api/v1/namespaces".into(),
            vec![
                data("namespaces-list-1.json"),
                data("namespaces-list-2.json"),
            ],
        );
        r.watches.insert(
            "/api/v1/namespaces".into(),
            vec![data("namespaces-watch-1.jsonl")],
        );
        r.lists.insert(
            "/apis/networking.k8s.io/v1/networkpolicies".into(),
            vec![data("networkpolicies-list-1.json")],
        );
    }
    let app = Router::new().fallback(serve).with_state(replay.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });

    let config = kube::Config::new(format!("http://{addr}").parse().expect("url"));
    let client = kube::Client::try_from(config).expect("client");
    let recorder = Arc::new(Recorder::default());
    let tasks = spawn_watches(
        client,
        &["Namespace", "NetworkPolicy", "CiliumNetworkPolicy"],
        recorder.clone(),
    )
    .expect("known kinds");

    // The first list, then the events, then 410 Gone and a relist with the cluster's state.
    eventually("the relist after 410 Gone", || {
        recorder.names("Namespace") == ["ledger", "marketing", "storefront"]
    })
    .await;
    assert!(
        *recorder.synced.lock().expect("synced"),
        "synced once every kind listed"
    );
    let relists = recorder.relists.lock().expect("relists").clone();
    assert!(
        relists.contains(&("Namespace".to_owned(), 2)),
        "{relists:?}"
    );
    assert!(
        relists.contains(&("Namespace".to_owned(), 3)),
        "{relists:?}"
    );
    assert!(
        relists.contains(&("NetworkPolicy".to_owned(), 1)),
        "{relists:?}"
    );
    assert!(
        relists.contains(&("CiliumNetworkPolicy".to_owned(), 0)),
        "a CRD not served is read as empty: {relists:?}"
    );
    {
        let objects = recorder.objects.lock().expect("objects");
        let storefront = objects
            .get(&("Namespace".to_owned(), None, "storefront".to_owned()))
            .expect("storefront");
        assert_eq!(
            storefront.label("kubepci.io/scope"),
            Some("cde"),
            "MODIFIED applied"
        );
        assert_eq!(storefront.api_version(), "v1", "list items get their type");
        assert!(
            storefront
                .metadata()
                .and_then(|m| m.get("managedFields"))
                .is_none()
        );
        let policy = objects
            .get(&(
                "NetworkPolicy".to_owned(),
                Some("payments".to_owned()),
                "default-deny".to_owned(),
            ))
            .expect("the policy");
        assert_eq!(policy.api_version(), "networking.k8s.io/v1");
    }
    let requests = replay.lock().expect("replay").requests.clone();
    let watches: Vec<&String> = requests
        .iter()
        .filter(|r| r.starts_with("/api/v1/namespaces?") && r.contains("watch=true"))
        .collect();
    assert!(
        watches.len() >= 2,
        "watched again after the relist: {requests:?}"
    );
    assert!(
        watches[0].contains("resourceVersion=1000")
            && watches[0].contains("allowWatchBookmarks=true"),
        "the watch resumes from the list's resourceVersion with bookmarks: {}",
        watches[0]
    );
    assert!(
        requests.iter().all(|r| !r.contains("/secrets")),
        "only the kinds asked for are read"
    );
    for task in tasks {
        task.abort();
    }
}

#[test]
fn unknown_kinds_are_refused() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let config = kube::Config::new("http://127.0.0.1:9".parse().expect("url"));
        let client = kube::Client::try_from(config).expect("client");
        let error = spawn_watches(client, &["Widget"], Arc::new(Recorder::default()))
            .expect_err("unknown kind");
        assert!(error.to_string().contains("Widget"));
    });
}
