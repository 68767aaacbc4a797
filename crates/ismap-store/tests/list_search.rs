//! The public lists' search on its index (issue 12, item 14), on both
//! backends: words combine with AND, ignore case and width (issue 13:
//! ＩａａＳ finds IaaS, ｻﾝﾌﾟﾙ finds サンプル), match Japanese of any length,
//! take `%` and `_` literally, and the index follows every write of the
//! folded search text (FTS5 triggers on SQLite, a trigram index on
//! PostgreSQL).

use ismap_domain::registration::ListKind;
use ismap_store::Db;
use ismap_store::registrations::{
    self, ExistingRegistration, ListQuery, NewRegistration, Sort, fold_for_search, fts5_query,
    is_indexed_word, like_pattern, search_text,
};
use ismap_store::testing::{BACKENDS, fresh};

fn query(text: &str) -> ListQuery {
    ListQuery {
        list: ListKind::Ismap,
        text: Some(text.to_owned()),
        model: None,
        status: None,
        expiring_within: None,
        sort: Sort::Number,
        descending: false,
        page: 1,
        per_page: 50,
    }
}

async fn total(db: &Db, text: &str) -> i64 {
    let today = chrono::Utc::now().date_naive();
    registrations::public_list(db, &query(text), today)
        .await
        .unwrap_or_else(|e| panic!("{text:?}: {e}"))
        .0
}

#[test]
fn search_words_are_quoted_and_escaped() {
    assert_eq!(like_pattern("東京"), "%東京%");
    assert_eq!(like_pattern("100%"), "%100\\%%");
    assert_eq!(like_pattern("a_b\\c"), "%a\\_b\\\\c%");
    assert_eq!(fts5_query(["abc"]), "\"abc\"");
    assert_eq!(
        fts5_query(["say \"hi\"", "OR", "x*"]),
        "\"say \"\"hi\"\"\" AND \"OR\" AND \"x*\""
    );
    assert!(is_indexed_word("東京都"));
    assert!(!is_indexed_word("東京"));
    assert!(!is_indexed_word("ab"));
}

#[tokio::test]
async fn the_search_index_follows_every_write() {
    let dir = tempfile::tempdir().unwrap();
    for backend in BACKENDS {
        let db = fresh(backend, dir.path()).await;
        let today = chrono::Utc::now().date_naive();
        // 30 registrations: 24 on the ISMAP list (every fifth is LIU).
        registrations::seed_for_benchmark(&db, 30, today)
            .await
            .unwrap();
        assert_eq!(total(&db, "").await, 24, "{backend:?}");
        assert_eq!(total(&db, "ベンチマーク").await, 24);
        assert_eq!(total(&db, "BENCHMARK Service").await, 24, "any case");
        assert_eq!(total(&db, "サービス").await, 24);
        assert_eq!(total(&db, "ベン").await, 24, "2 characters");
        assert_eq!(total(&db, "00007").await, 1);
        assert_eq!(total(&db, "c24-00007").await, 1, "the number");
        assert_eq!(total(&db, "00004").await, 0, "on the LIU list");
        assert_eq!(total(&db, "00007 00008").await, 0, "AND");
        assert_eq!(
            total(&db, "0000").await,
            8,
            "00000 … 00009 on the ISMAP list"
        );
        assert_eq!(total(&db, "%").await, 0);
        assert_eq!(total(&db, "_").await, 0);

        // Renamed in place (the store never does; a writer that did would
        // write the folded text with the names): the index follows at once.
        sqlx::query(
            "UPDATE registrations SET name = 'リネーム済み東京', name_en = 'Renamed', \
             search_text = $1 WHERE number = 'C24-00007-1'",
        )
        .bind(search_text(
            "リネーム済み東京",
            "Renamed",
            registrations::BENCHMARK_PROVIDER,
            registrations::BENCHMARK_PROVIDER_EN,
            "C24-00007-1",
        ))
        .execute(&db.pool)
        .await
        .unwrap();
        assert_eq!(total(&db, "サービス").await, 23);
        assert_eq!(total(&db, "renamed").await, 1);
        assert_eq!(total(&db, "リネーム済み").await, 1);
        assert_eq!(total(&db, "東京").await, 1);
        assert_eq!(total(&db, "東京 renamed 00007").await, 1);
        assert_eq!(total(&db, "service 00007").await, 0);
        assert_eq!(
            total(&db, "ベン 00007").await,
            1,
            "the provider still matches"
        );

        // On PostgreSQL the planner can take the trigram index (without
        // sequential scans, as it would on a larger table).
        if backend == ismap_store::Backend::Postgres {
            let mut conn = db.pool.acquire().await.unwrap();
            sqlx::query("SET enable_seqscan = off")
                .execute(&mut *conn)
                .await
                .unwrap();
            let plan: Vec<String> = sqlx::query(
                "EXPLAIN SELECT id FROM registrations r WHERE r.search_text LIKE '%00007%'",
            )
            .fetch_all(&mut *conn)
            .await
            .unwrap()
            .iter()
            .map(|row| sqlx::Row::get::<String, _>(row, 0))
            .collect();
            sqlx::query("RESET enable_seqscan")
                .execute(&mut *conn)
                .await
                .unwrap();
            assert!(
                plan.iter().any(|l| l.contains("registrations_search")),
                "{plan:#?}"
            );
        }
    }
}

#[test]
fn search_text_is_folded_for_width_and_case() {
    assert_eq!(fold_for_search("ＩａａＳ"), "iaas");
    assert_eq!(fold_for_search("ｻﾝﾌﾟﾙ"), "サンプル");
    assert_eq!(fold_for_search("サンプル"), "サンプル");
    assert_eq!(fold_for_search("Ｃ２１－０００８"), "c21-0008");
    assert_eq!(fold_for_search("東京\u{3000}ＣＬＯＵＤ"), "東京 cloud");
    assert_eq!(fold_for_search("ÄÖ"), "äö");
    assert_eq!(
        search_text("ｻﾝﾌﾟﾙ", "Sample", "株式会社", "K.K.", "C21-0008-2"),
        "サンプル sample 株式会社 k.k. c21-0008-2"
    );
}

/// A registration on the ISMAP list, valid today, named as given.
async fn register(db: &Db, serial: u16, name: &str, name_en: &str, provider: &str) -> String {
    let actor = ismap_store::Actor::system("test");
    let org = ismap_store::orgs::create(db, &actor, provider, "", ismap_domain::OrgKind::Csp)
        .await
        .unwrap();
    let service = ismap_store::services::create(
        db,
        &actor,
        ismap_store::services::NewService {
            organization_id: org.id,
            name,
            model: ismap_domain::ServiceModel::IaaS,
            description: "",
            url: "https://example.jp",
            registration_number: None,
        },
    )
    .await
    .unwrap();
    let today = chrono::Utc::now().date_naive();
    let number = ismap_domain::RegistrationNumber::first('C', today, serial);
    let valid_from = today - chrono::Duration::days(10);
    registrations::record_existing(
        db,
        &actor,
        ExistingRegistration {
            service_id: service.id,
            organization_id: org.id,
            list: ListKind::Ismap,
            number: &number,
            details: NewRegistration {
                valid_from,
                valid_until: ismap_domain::validity::period_end(valid_from, 16).unwrap(),
                registered_on: valid_from,
                improvement_plan: false,
                name,
                name_en,
                provider,
                provider_en: "",
                model: "IaaS",
                public: &serde_json::json!({}),
            },
        },
    )
    .await
    .unwrap();
    number.to_string()
}

#[tokio::test]
async fn the_search_ignores_width_and_case() {
    let dir = tempfile::tempdir().unwrap();
    for backend in BACKENDS {
        let db = fresh(backend, dir.path()).await;
        register(&db, 11, "サンプル IaaS", "Sample IaaS", "株式会社サンプル").await;
        let wide = register(&db, 12, "ﾃｽﾄｸﾗｳﾄﾞ", "ＷＩＤＥ Cloud", "ﾃｽﾄ株式会社").await;
        for (asked, expected) in [
            ("ＩａａＳ", 1),
            ("ｉａａｓ", 1),
            ("IAAS", 1),
            ("ｻﾝﾌﾟﾙ", 1),
            ("ｻﾝ", 1),
            ("サンプル", 1),
            ("ｻﾝﾌﾟﾙ　ＩａａＳ", 1),
            // Stored half- and full-width, asked the other way.
            ("テストクラウド", 1),
            ("テスト", 1),
            ("ﾃｽﾄ", 1),
            ("wide", 1),
            ("ｗｉｄｅ ｃｌｏｕｄ", 1),
            ("Ｗｉ", 1),
            // The registration number in full width and lower case.
            ("ｃ", 2),
            ("株式会社", 2),
            ("サンプル テスト", 0),
        ] {
            assert_eq!(total(&db, asked).await, expected, "{backend:?}: {asked}");
        }
        let number: String = wide.to_lowercase().chars().map(widen).collect();
        assert_eq!(total(&db, &number).await, 1, "{backend:?}: {number}");

        // A row from before migration 0008 has no folded text: the fill
        // run after migrating gives it one, and the index follows.
        sqlx::query("UPDATE registrations SET search_text = NULL")
            .execute(&db.pool)
            .await
            .unwrap();
        assert_eq!(total(&db, "ｻﾝﾌﾟﾙ").await, 0, "{backend:?}: not yet folded");
        assert_eq!(total(&db, "ｻﾝ").await, 0, "{backend:?}: not yet folded");
        db.migrate().await.unwrap();
        assert_eq!(registrations::fill_search_text(&db).await.unwrap(), 0);
        assert_eq!(total(&db, "ｻﾝﾌﾟﾙ").await, 1, "{backend:?}");
        assert_eq!(total(&db, "ＷＩＤＥ").await, 1, "{backend:?}");
        assert_eq!(total(&db, "ｻﾝ").await, 1, "{backend:?}");
    }
}

/// The full-width form of an ASCII letter, digit or hyphen.
fn widen(c: char) -> char {
    match c {
        '-' => '－',
        c if c.is_ascii_alphanumeric() => char::from_u32(c as u32 - 0x21 + 0xFF01).unwrap(),
        c => c,
    }
}
