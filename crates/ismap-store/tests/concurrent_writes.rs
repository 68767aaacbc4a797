//! Writes of a statement under concurrency, on both backends (issue 12
//! items 2 and 3): a frozen statement takes no revision, and of many saves or
//! freezes made at the same moment exactly one is stored, the others are
//! conflicts (on SQLite too: no "database is locked").

use ismap_domain::{OrgKind, ServiceModel};
use ismap_store::events::Actor;
use ismap_store::statements::{self, NewRevision, StatementRecord};
use ismap_store::testing::{BACKENDS, fresh};
use ismap_store::{Db, StoreError, catalogs, orgs, services};

const N: usize = 12;

fn system() -> Actor {
    Actor::system("test")
}

fn revision(content: &str) -> NewRevision<'_> {
    NewRevision {
        content,
        comment: "",
        errors: 0,
        warnings: 0,
    }
}

async fn draft(db: &Db) -> StatementRecord {
    let pack = include_str!("../../../catalogs/ismap-2022-excerpt.yaml");
    catalogs::store(db, &system(), "bundled", pack)
        .await
        .unwrap();
    let org = orgs::create(db, &system(), "SaaS社", "SaaS Inc.", OrgKind::Csp)
        .await
        .unwrap();
    let service = services::create(
        db,
        &system(),
        services::NewService {
            organization_id: org.id,
            name: "Example SaaS",
            model: ServiceModel::SaaS,
            description: "",
            url: "",
            registration_number: None,
        },
    )
    .await
    .unwrap();
    statements::create(
        db,
        &system(),
        service.id,
        org.id,
        "ismap-2022-excerpt",
        revision("{\"v\":1}"),
    )
    .await
    .unwrap()
}

/// Ok or conflict; any other error (a locked database) fails the test.
fn outcome<T>(result: Result<T, StoreError>) -> bool {
    match result {
        Ok(_) => true,
        Err(StoreError::Conflict(_)) => false,
        Err(other) => panic!("a conflict or a success, not {other}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_frozen_statement_takes_no_revision() {
    let dir = tempfile::tempdir().unwrap();
    for backend in BACKENDS {
        let db = fresh(backend, dir.path()).await;
        let statement = draft(&db).await;
        let frozen = statements::set_status(&db, &system(), &statement, "frozen", "ready")
            .await
            .unwrap();
        // Through the record read before the freeze, as a stale page would.
        let refused =
            statements::add_revision(&db, &system(), &statement, 1, revision("{\"v\":2}")).await;
        match refused {
            Err(StoreError::Conflict(message)) => assert!(message.contains("frozen"), "{message}"),
            other => panic!("{backend:?}: refused, not {other:?}"),
        }
        let again =
            statements::add_revision(&db, &system(), &frozen, 1, revision("{\"v\":2}")).await;
        assert!(matches!(again, Err(StoreError::Conflict(_))));
        assert_eq!(
            statements::revisions(&db, statement.id)
                .await
                .unwrap()
                .len(),
            1
        );
        // Freezing twice is a conflict too.
        let twice = statements::set_status(&db, &system(), &frozen, "frozen", "again").await;
        assert!(matches!(twice, Err(StoreError::Conflict(_))));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn saves_and_freezes_at_one_moment_store_one() {
    let dir = tempfile::tempdir().unwrap();
    for backend in BACKENDS {
        let db = fresh(backend, dir.path()).await;
        let statement = draft(&db).await;
        let tasks: Vec<_> = (0..N)
            .map(|i| {
                let db = db.clone();
                let statement = statement.clone();
                tokio::spawn(async move {
                    if i.is_multiple_of(2) {
                        outcome(
                            statements::set_status(&db, &system(), &statement, "frozen", "race")
                                .await,
                        )
                    } else {
                        let content = format!("{{\"v\":\"{i}\"}}");
                        outcome(
                            statements::add_revision(
                                &db,
                                &system(),
                                &statement,
                                1,
                                revision(&content),
                            )
                            .await,
                        )
                    }
                })
            })
            .collect();
        let mut won = 0;
        for task in tasks {
            won += usize::from(task.await.unwrap());
        }
        assert_eq!(won, 1, "{backend:?}: one save or one freeze");
        let after = statements::get(&db, statement.id).await.unwrap();
        let revisions = statements::revisions(&db, statement.id)
            .await
            .unwrap()
            .len();
        assert_eq!(
            (after.status.as_str(), revisions),
            if after.status == "frozen" {
                ("frozen", 1)
            } else {
                ("draft", 2)
            },
            "{backend:?}"
        );
    }
}
