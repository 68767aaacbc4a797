//! The statement editor with a full-size statement (1,159 controls), served
//! by the real router on SQLite, measured server-side (no network):
//! rendering the editor page (its first response: the chapters with their
//! progress), one chapter's rows as htmx loads them when it is opened, and
//! one change saved and validated.
//! Goals (issue 13): first response under 150 KB and 100 ms; (issue 4)
//! save round trip under 50 ms. Results in docs/benchmarks.md.

use std::hint::black_box;
use std::sync::Mutex;

use axum::body::{Body, to_bytes};
use axum::http::{Request, StatusCode};
use criterion::{Criterion, criterion_group, criterion_main};
use ismap_domain::synthetic::{full_size_catalog, full_size_statement};
use ismap_domain::{OrgKind, Role, ServiceModel};
use ismap_formats::catalog_pack;
use ismap_formats::statement_write::to_yaml;
use ismap_store::statements::NewRevision;
use ismap_store::users::NewUser;
use ismap_store::{Actor, Backend, orgs, services, sessions, statements, users};
use ismap_web::auth::digest;
use ismap_web::{AppState, Config, app};
use tower::ServiceExt;

const SESSION: &str = "bench-session-token-0123456789abcdef";
/// The session's CSRF token, as the portal derives it (set by `fixture`).
static CSRF: std::sync::OnceLock<String> = std::sync::OnceLock::new();

struct Fixture {
    router: axum::Router,
    statement: i64,
    /// The version the next save is based on (`2.7`), from the last answer.
    version: Mutex<String>,
    _dir: tempfile::TempDir,
}

async fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let db = ismap_store::testing::fresh(Backend::Sqlite, dir.path()).await;
    let catalog = full_size_catalog();
    let config = Config {
        packs: vec![("synthetic".into(), catalog_pack::to_yaml(&catalog))],
        // The benchmark saves as fast as it can: no per-user write limit.
        statement_writes_per_minute: 0,
        ..Config::default()
    };
    let state = AppState::load(db.clone(), config).await.unwrap();
    let system = Actor::system("bench");
    let org = orgs::create(&db, &system, "ベンチ社", "Bench Inc.", OrgKind::Csp)
        .await
        .unwrap();
    let user = users::create(
        &db,
        &system,
        NewUser {
            username: "bench",
            display_name: "bench",
            email: "",
            password_hash: None,
        },
        &org,
        Role::CspEditor,
    )
    .await
    .unwrap();
    sessions::create(&db, &digest(SESSION), user.id, "2999-01-01T00:00:00.000Z")
        .await
        .unwrap();
    let service = services::create(
        &db,
        &system,
        services::NewService {
            organization_id: org.id,
            name: "Full-size SaaS",
            model: ServiceModel::SaaS,
            description: "",
            url: "",
            registration_number: Some(ismap_domain::synthetic::UNDERLYING),
        },
    )
    .await
    .unwrap();
    let content = to_yaml(&full_size_statement(&catalog));
    let record = statements::create(
        &db,
        &system,
        service.id,
        org.id,
        catalog.id(),
        NewRevision {
            content: &content,
            comment: "",
            errors: 0,
            warnings: 0,
        },
    )
    .await
    .unwrap();
    let _ = CSRF.set(ismap_web::auth::csrf_for_session(&state, SESSION));
    Fixture {
        router: app(state),
        statement: record.id,
        version: Mutex::new("1.1".into()),
        _dir: dir,
    }
}

fn request(method: &str, uri: String, body: String) -> Request<Body> {
    Request::builder()
        .method(method)
        .uri(uri)
        .header("cookie", format!("ismap_session={SESSION}"))
        .header("x-csrf-token", CSRF.get().expect("fixture ran").as_str())
        .header("hx-request", "true")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from(body))
        .unwrap()
}

async fn call(router: &axum::Router, request: Request<Body>) -> usize {
    body(router, request).await.len()
}

async fn body(router: &axum::Router, request: Request<Body>) -> Vec<u8> {
    let response = router.clone().oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap()
        .to_vec()
}

/// A request as a browser sends it (no `HX-Request`): the editor page.
fn page_request(uri: String) -> Request<Body> {
    let mut request = request("GET", uri, String::new());
    request.headers_mut().remove("hx-request");
    request
}

/// The version an editor answer is based on.
fn version_of(html: &[u8]) -> String {
    let html = String::from_utf8_lossy(html);
    let marker = "id=\"based-on\" name=\"based_on\" value=\"";
    let start = html.find(marker).expect("a version in the answer") + marker.len();
    html[start..][..html[start..].find('"').unwrap()].to_owned()
}

fn bench_editor(c: &mut Criterion) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let fixture = runtime.block_on(fixture());
    let page = format!("/statements/{}/edit", fixture.statement);
    let size = runtime.block_on(call(&fixture.router, page_request(page.clone())));
    eprintln!("editor page (first response): {size} bytes");
    // Chapter 5: the first chapter of control measures.
    let chapter = format!("/statements/{}/edit?chapter=5", fixture.statement);
    let chapter_size = runtime.block_on(call(
        &fixture.router,
        request("GET", chapter.clone(), String::new()),
    ));
    eprintln!("one chapter's rows (chapter 5, htmx): {chapter_size} bytes");

    let mut group = c.benchmark_group("editor, full-size statement (1,159 controls)");
    group.sample_size(30);
    group.bench_function("render the editor page", |b| {
        b.to_async(&runtime)
            .iter(|| async { black_box(call(&fixture.router, page_request(page.clone())).await) })
    });
    group.bench_function("load one chapter's rows", |b| {
        b.to_async(&runtime).iter(|| async {
            black_box(
                call(
                    &fixture.router,
                    request("GET", chapter.clone(), String::new()),
                )
                .await,
            )
        })
    });
    // Alternates one detailed control between implemented and not selected;
    // each save is based on the version the previous answer gave (the
    // same person's saves join one revision: an editing burst).
    let control = "5.1.1.1";
    let flip = std::sync::atomic::AtomicBool::new(false);
    group.bench_function("save one control and revalidate", |b| {
        b.to_async(&runtime).iter(|| async {
            let based_on = fixture.version.lock().unwrap().clone();
            let body_text = if !flip.fetch_xor(true, std::sync::atomic::Ordering::SeqCst) {
                "decision=not_selected&reason=%E3%83%AA%E3%82%B9%E3%82%AF%E8%A9%95%E4%BE%A1%E3%81%AE%E7%B5%90%E6%9E%9C%E3%80%81%E4%BB%96%E3%81%AE%E7%AE%A1%E7%90%86%E7%AD%96%E3%81%A7%E5%8D%81%E5%88%86%E3%81%AB%E4%BD%8E%E6%B8%9B%E3%81%A7%E3%81%8D%E3%82%8B%E3%81%9F%E3%82%81%E3%80%82"
            } else {
                "decision=implemented"
            };
            let uri = format!("/statements/{}/controls/{control}", fixture.statement);
            let answer = body(
                &fixture.router,
                request("POST", uri, format!("based_on={based_on}&{body_text}")),
            )
            .await;
            *fixture.version.lock().unwrap() = version_of(&answer);
            black_box(answer.len())
        })
    });
    group.finish();
}

criterion_group!(benches, bench_editor);
criterion_main!(benches);
