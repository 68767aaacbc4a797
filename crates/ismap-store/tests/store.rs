//! The repository layer on both backends: a fresh SQLite file and a fresh
//! PostgreSQL database per test.

use ismap_domain::{OrgKind, Role, ServiceModel};
use ismap_store::events::{self, Actor};
use ismap_store::statements::NewRevision;
use ismap_store::testing::{BACKENDS, fresh};
use ismap_store::users::NewUser;
use ismap_store::{Backend, Db, StoreError, catalogs, orgs, services, sessions, statements, users};

async fn each_backend<F, Fut>(test: F)
where
    F: Fn(Db) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let dir = tempfile::tempdir().unwrap();
    for backend in BACKENDS {
        let db = fresh(backend, dir.path()).await;
        assert_eq!(db.backend, backend);
        test(db).await;
    }
}

fn system() -> Actor {
    Actor::system("test")
}

#[tokio::test]
async fn organizations_users_and_roles() {
    each_backend(|db| async move {
        let org = orgs::create(
            &db,
            &system(),
            "株式会社サンプルクラウド",
            "Sample Cloud",
            OrgKind::Csp,
        )
        .await
        .unwrap();
        let user = users::create(
            &db,
            &system(),
            NewUser {
                username: "hanako",
                display_name: "花子",
                email: "",
                password_hash: Some("$argon2id$x"),
            },
            &org,
            Role::CspAdmin,
        )
        .await
        .unwrap();
        let (found, hash) = users::find_for_sign_in(&db, "hanako")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(found, user);
        assert_eq!(hash.as_deref(), Some("$argon2id$x"));
        let memberships = users::memberships(&db, user.id).await.unwrap();
        assert_eq!(memberships.len(), 1);
        assert_eq!(memberships[0].role, Role::CspAdmin);
        assert_eq!(memberships[0].organization, org);

        // A role from another kind of organization is refused, and nothing is written.
        let wrong = users::create(
            &db,
            &system(),
            NewUser {
                username: "taro",
                display_name: "太郎",
                email: "",
                password_hash: None,
            },
            &org,
            Role::Reviewer,
        )
        .await;
        assert!(matches!(wrong, Err(StoreError::Conflict(_))));
        assert!(
            users::find_for_sign_in(&db, "taro")
                .await
                .unwrap()
                .is_none()
        );

        let duplicate = users::create(
            &db,
            &system(),
            NewUser {
                username: "hanako",
                display_name: "別人",
                email: "",
                password_hash: None,
            },
            &org,
            Role::CspEditor,
        )
        .await;
        assert!(matches!(duplicate, Err(StoreError::Conflict(m)) if m.contains("taken")));
    })
    .await;
}

#[tokio::test]
async fn sessions_tokens_and_failures() {
    each_backend(|db| async move {
        let org = orgs::create(&db, &system(), "IPA", "IPA", OrgKind::Ipa)
            .await
            .unwrap();
        let user = users::create(
            &db,
            &system(),
            NewUser {
                username: "reviewer",
                display_name: "審査員",
                email: "",
                password_hash: None,
            },
            &org,
            Role::Reviewer,
        )
        .await
        .unwrap();
        sessions::create(&db, "hash-live", user.id, "2999-01-01T00:00:00.000Z")
            .await
            .unwrap();
        sessions::create(&db, "hash-old", user.id, "2000-01-01T00:00:00.000Z")
            .await
            .unwrap();
        assert_eq!(
            sessions::user_of(&db, "hash-live").await.unwrap(),
            Some(user.id)
        );
        assert_eq!(sessions::user_of(&db, "hash-old").await.unwrap(), None);
        sessions::delete(&db, "hash-live").await.unwrap();
        assert_eq!(sessions::user_of(&db, "hash-live").await.unwrap(), None);

        let actor = Actor::user(user.id, &user.username);
        let id = sessions::create_token(&db, &actor, user.id, "ci", "token-hash")
            .await
            .unwrap();
        assert_eq!(
            sessions::user_of_token(&db, "token-hash").await.unwrap(),
            Some(user.id)
        );
        assert!(
            sessions::revoke_token(&db, &actor, user.id, id)
                .await
                .unwrap()
        );
        assert_eq!(
            sessions::user_of_token(&db, "token-hash").await.unwrap(),
            None
        );

        for _ in 0..3 {
            sessions::record_failure(&db, "reviewer", "127.0.0.1")
                .await
                .unwrap();
        }
        assert_eq!(
            sessions::failures_since(&db, "reviewer", "2000-01-01")
                .await
                .unwrap(),
            3
        );
        sessions::clear_failures(&db, "reviewer").await.unwrap();
        assert_eq!(
            sessions::failures_since(&db, "reviewer", "2000-01-01")
                .await
                .unwrap(),
            0
        );
    })
    .await;
}

#[tokio::test]
async fn catalogs_store_once_and_search_japanese() {
    each_backend(|db| async move {
        let pack = include_str!("../../../catalogs/ismap-2022-excerpt.yaml");
        assert!(
            catalogs::store(&db, &system(), "bundled", pack)
                .await
                .unwrap()
        );
        assert!(
            !catalogs::store(&db, &system(), "bundled", pack)
                .await
                .unwrap(),
            "stored once"
        );
        let all = catalogs::all(&db).await.unwrap();
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].controls().len(), 290);
        let found = catalogs::search(&db, "ismap-2022-excerpt", "暗号", 100)
            .await
            .unwrap();
        assert!(found.contains(&"8.1.2.7.PB".to_owned()), "{found:?}");
        assert!(found.contains(&"10.1.2.20.PB".to_owned()));
        let english = catalogs::search(&db, "ismap-2022-excerpt", "ENCRYPT", 100)
            .await
            .unwrap();
        assert!(english.contains(&"12.3.1.11".to_owned()), "{english:?}");
        let literal = catalogs::search(&db, "ismap-2022-excerpt", "100%", 100)
            .await
            .unwrap();
        assert!(literal.is_empty(), "% is literal");
        assert_eq!(
            catalogs::search(&db, "ismap-2022-excerpt", "8.1.2.", 100)
                .await
                .unwrap()
                .len(),
            7
        );
    })
    .await;
}

#[tokio::test]
async fn statements_keep_every_revision_and_refuse_lost_updates() {
    each_backend(|db| async move {
        let pack = include_str!("../../../catalogs/ismap-2022-excerpt.yaml");
        catalogs::store(&db, &system(), "bundled", pack)
            .await
            .unwrap();
        let org = orgs::create(&db, &system(), "SaaS社", "SaaS Inc.", OrgKind::Csp)
            .await
            .unwrap();
        let service = services::create(
            &db,
            &system(),
            services::NewService {
                organization_id: org.id,
                name: "Example SaaS",
                model: ServiceModel::SaaS,
                description: "文書管理",
                url: "https://saas.example.jp",
                registration_number: None,
            },
        )
        .await
        .unwrap();
        assert_eq!(
            services::list(&db, Some(org.id)).await.unwrap(),
            vec![service.clone()]
        );
        let statement = statements::create(
            &db,
            &system(),
            service.id,
            org.id,
            "ismap-2022-excerpt",
            NewRevision {
                content: "{\"v\":1}",
                comment: "first",
                errors: 3,
                warnings: 0,
            },
        )
        .await
        .unwrap();
        assert_eq!(statement.latest_revision, 1);
        let second = statements::add_revision(
            &db,
            &system(),
            &statement,
            1,
            NewRevision {
                content: "{\"v\":2}",
                comment: "second",
                errors: 0,
                warnings: 1,
            },
        )
        .await
        .unwrap();
        assert_eq!(second.number, 2);
        // A save based on a stale revision is refused, not applied over the newer one.
        let stale = statements::add_revision(
            &db,
            &system(),
            &statement,
            1,
            NewRevision {
                content: "{\"v\":\"stale\"}",
                comment: "",
                errors: 0,
                warnings: 0,
            },
        )
        .await;
        assert!(matches!(stale, Err(StoreError::Conflict(_))));
        assert_eq!(
            statements::revision_at(&db, statement.id, 1)
                .await
                .unwrap()
                .content,
            "{\"v\":1}"
        );
        assert_eq!(
            statements::revisions(&db, statement.id)
                .await
                .unwrap()
                .len(),
            2
        );

        // The database itself refuses to rewrite history.
        let rewrite = sqlx::query("UPDATE statement_revisions SET content = 'x'")
            .execute(&db.pool)
            .await;
        assert!(rewrite.is_err());
        let erase = sqlx::query("DELETE FROM events").execute(&db.pool).await;
        assert!(erase.is_err());

        let log = events::list(&db, Some(org.id), 100).await.unwrap();
        let actions: Vec<&str> = log.iter().map(|e| e.action.as_str()).collect();
        assert_eq!(
            actions,
            [
                "statement.revise",
                "statement.revise",
                "statement.create",
                "service.create",
                "organization.create"
            ]
        );
        assert_eq!(log[0].reason, "second");
        assert!(log[0].at.ends_with('Z'));
    })
    .await;
}

#[tokio::test]
async fn sqlite_backup_is_an_online_copy() {
    let dir = tempfile::tempdir().unwrap();
    let db = fresh(Backend::Sqlite, dir.path()).await;
    orgs::create(&db, &system(), "監査法人", "Audit", OrgKind::AuditOrg)
        .await
        .unwrap();
    let copy = dir.path().join("backup.db");
    db.backup_sqlite(&copy).await.unwrap();
    let restored = Db::connect(&format!("sqlite://{}", copy.display()))
        .await
        .unwrap();
    assert_eq!(orgs::list(&restored).await.unwrap().len(), 1);
    assert!(
        matches!(db.backup_sqlite(&copy).await, Err(StoreError::Conflict(_))),
        "never overwrites"
    );
}
