//! The demo world's agencies at work (issue 15, item 10), on both
//! backends: サンプル省 signs in to an overdue interim measure, an inquiry
//! question to answer and an unread notice; サンプル庁 sees none of it;
//! the secretariat sees the overdue measure. Every number on the pages is
//! counted from the database.

use ismap_web::demo_agency as demo;
use sqlx::Row;

use crate::helpers::{BACKENDS, Client, server};

async fn count(db: &ismap_store::Db, sql: &str, args: &[&str]) -> i64 {
    let mut query = sqlx::query(sql);
    for a in args {
        query = query.bind(*a);
    }
    query.fetch_one(&db.pool).await.unwrap().get::<i64, _>("n")
}

async fn ids(db: &ismap_store::Db, sql: &str) -> Vec<i64> {
    sqlx::query(sql)
        .fetch_all(&db.pool)
        .await
        .unwrap()
        .iter()
        .map(|r| r.get::<i64, _>("id"))
        .collect()
}

/// The number in the element with `id` (`<… id="x">12 …`).
fn stat(html: &str, id: &str) -> i64 {
    let at = html
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("{id} on the page"));
    let rest = &html[at..];
    let text = &rest[rest.find('>').unwrap() + 1..];
    text.chars()
        .skip_while(|c| !c.is_ascii_digit())
        .take_while(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .unwrap_or_else(|_| panic!("a number at {id}"))
}

async fn page(client: &Client<'_>, path: &str, status: u16) -> String {
    let response = client.get(path).await;
    assert_eq!(response.status(), status, "{path}");
    response.text().await.unwrap()
}

#[tokio::test]
async fn the_demo_agency_signs_in_to_real_work_and_the_other_agency_sees_none_of_it() {
    for backend in BACKENDS {
        let server = server(backend).await;
        let db = &server.db;
        let today = server.clock.today().to_string();
        let ministry = ismap_store::orgs::find_by_name(db, "サンプル省")
            .await
            .unwrap()
            .unwrap()
            .id
            .to_string();

        // What the seed wrote, from the database.
        let paths: Vec<(String, i64)> = sqlx::query(
            "SELECT e.path, COUNT(*) AS n FROM cloud_usage_entries e \
             JOIN organizations o ON o.id = e.agency_id WHERE o.name = 'サンプル省' \
             GROUP BY e.path ORDER BY e.path",
        )
        .fetch_all(&db.pool)
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get("path"), r.get("n")))
        .collect();
        let of = |p: &str| paths.iter().find(|(k, _)| k == p).map_or(0, |(_, n)| *n);
        assert_eq!(of("registered"), 1, "{backend:?}: {paths:?}");
        assert_eq!(of("ciso_confirmed"), 1);
        assert_eq!(of("interim"), 3);
        assert_eq!(of("undecided"), 1, "the demo SaaS, not applied for");
        assert_eq!(
            count(
                db,
                "SELECT COUNT(*) AS n FROM procurement_checks c JOIN cloud_usage_entries e ON e.id = c.entry_id \
                 WHERE e.path = 'registered' AND c.verdict IS NOT NULL AND e.service_name = $1",
                &[demo::IAAS_NAME],
            )
            .await,
            2,
            "{backend:?}: both agencies' checks of the registered IaaS"
        );
        let overdue_sql =
            "SELECT COUNT(*) AS n FROM interim_measures WHERE state = 'open' AND deadline < $1";
        let overdue_all = count(db, overdue_sql, &[&today]).await;
        let overdue_mine = count(
            db,
            &format!("{overdue_sql} AND CAST(agency_id AS TEXT) = $2"),
            &[&today, &ministry],
        )
        .await;
        assert!(overdue_mine >= 1, "{backend:?}");
        // The overdue measure was not reported.
        assert_eq!(
            count(
                db,
                "SELECT COUNT(*) AS n FROM interim_reports r JOIN interim_measures m ON m.id = r.measure_id \
                 JOIN cloud_usage_entries e ON e.id = m.entry_id WHERE e.service_name = $1",
                &[demo::OVERDUE_SERVICE],
            )
            .await,
            0
        );
        // Every seeded change left its event, by a person.
        assert!(
            count(
                db,
                "SELECT COUNT(*) AS n FROM events WHERE object_type IN \
                 ('register_entry', 'interim_measure', 'inquiry', 'doubt', 'notice') AND actor_id IS NULL",
                &[],
            )
            .await
                == 0
        );

        // サンプル省's officer: the dashboard.
        let a = Client::new(&server);
        a.sign_in("agency-a").await;
        let home = page(&a, "/", 200).await;
        assert_eq!(
            stat(&home, "stat-interim-overdue"),
            overdue_mine,
            "{backend:?}"
        );
        assert!(home.contains("期限超過"));
        let open_questions = count(
            db,
            "SELECT COUNT(*) AS n FROM inquiry_questions q JOIN inquiries i ON i.id = q.inquiry_id \
             WHERE CAST(i.agency_id AS TEXT) = $1 AND i.state = 'open' AND q.answer IS NULL",
            &[&ministry],
        )
        .await;
        assert_eq!(open_questions, 1, "{backend:?}");
        assert_eq!(stat(&home, "stat-inquiry-questions"), open_questions);
        assert!(home.contains(demo::INQUIRY_SUBJECT), "{backend:?}");
        let unread = count(
            db,
            "SELECT COUNT(*) AS n FROM programme_notices n WHERE NOT EXISTS \
             (SELECT 1 FROM notice_receipts r JOIN users u ON u.id = r.user_id \
              WHERE r.notice_id = n.id AND u.username = 'agency-a')",
            &[],
        )
        .await;
        assert!(unread >= 1);
        assert_eq!(stat(&home, "stat-unread-notices"), unread, "{backend:?}");
        let entries = count(
            db,
            "SELECT COUNT(*) AS n FROM cloud_usage_entries WHERE CAST(agency_id AS TEXT) = $1",
            &[&ministry],
        )
        .await;
        assert_eq!(stat(&home, "stat-register"), entries);

        // Its pages: the overdue measure, the question, the notice, the doubt.
        let list = page(&a, "/interim-measures?filter=overdue", 200).await;
        assert!(list.contains(demo::OVERDUE_SERVICE) && list.contains("期限超過"));
        let overdue_id = ids(
            db,
            "SELECT m.id FROM interim_measures m JOIN cloud_usage_entries e ON e.id = m.entry_id \
             WHERE e.service_name = 'サンプル電子申請クラウド'",
        )
        .await[0];
        let measure = page(&a, &format!("/interim-measures/{overdue_id}"), 200).await;
        assert!(
            measure.contains("2021年6月1日"),
            "{backend:?}: the deadline"
        );
        assert!(measure.contains("速やかに事務局に報告"));
        let inquiry_id = ids(db, "SELECT id FROM inquiries").await[0];
        let inquiry = page(&a, &format!("/inquiries/{inquiry_id}"), 200).await;
        assert!(inquiry.contains(demo::OPEN_QUESTION));
        assert!(inquiry.contains("機密性2に該当します"), "the answered one");
        let notices = page(&a, "/notices", 200).await;
        assert!(notices.contains(demo::NOTICE_TITLE) && notices.contains("未読"));
        let register = page(&a, "/agency/register", 200).await;
        for service in [
            demo::OVERDUE_SERVICE,
            demo::PLANNED_SERVICE,
            demo::CONFIRMED_SERVICE,
            demo::REPORTED_SERVICE,
            demo::SAAS_NAME,
        ] {
            assert!(register.contains(service), "{backend:?}: {service}");
        }
        let doubt_id = ids(db, "SELECT id FROM doubts").await[0];
        let doubt = page(&a, &format!("/doubts/{doubt_id}"), 200).await;
        assert!(doubt.contains("是正済み"), "{backend:?}: the answer");
        // The CISO sees the confirmation they made.
        let confirmed = ids(db, "SELECT entry_id AS id FROM ciso_confirmations").await;
        assert_eq!(confirmed.len(), 1);
        let ciso = Client::new(&server);
        ciso.sign_in("agency-a-ciso").await;
        let entry = page(&ciso, &format!("/agency/register/{}", confirmed[0]), 200).await;
        assert!(
            entry.contains("サンプル省 CISO"),
            "{backend:?}: who confirmed"
        );

        // サンプル庁: its own entry, none of サンプル省's objects.
        let b = Client::new(&server);
        b.sign_in("agency-b").await;
        let theirs = page(&b, "/agency/register", 200).await;
        assert!(theirs.contains(demo::AGENCY_B_SYSTEM));
        assert!(!theirs.contains(demo::OVERDUE_SERVICE));
        let entries_of_a = ids(
            db,
            "SELECT e.id FROM cloud_usage_entries e JOIN organizations o ON o.id = e.agency_id \
             WHERE o.name = 'サンプル省'",
        )
        .await;
        for id in &entries_of_a {
            page(&b, &format!("/agency/register/{id}"), 404).await;
        }
        for id in ids(db, "SELECT id FROM interim_measures").await {
            page(&b, &format!("/interim-measures/{id}"), 404).await;
        }
        page(&b, &format!("/inquiries/{inquiry_id}"), 404).await;
        page(&b, &format!("/doubts/{doubt_id}"), 404).await;
        let home_b = page(&b, "/", 200).await;
        assert_eq!(stat(&home_b, "stat-interim-overdue"), 0, "{backend:?}");
        assert!(!home_b.contains(demo::INQUIRY_SUBJECT));

        // The secretariat: the overdue measure on its dashboard and list.
        let s = Client::new(&server);
        s.sign_in("secretariat").await;
        let home_s = page(&s, "/", 200).await;
        assert_eq!(
            stat(&home_s, "stat-interim-overdue"),
            overdue_all,
            "{backend:?}"
        );
        let reported = count(
            db,
            "SELECT COUNT(*) AS n FROM interim_measures WHERE state = 'reported'",
            &[],
        )
        .await;
        assert_eq!(stat(&home_s, "stat-interim-reported"), reported);
        let list = page(&s, "/interim-measures?filter=overdue", 200).await;
        assert!(list.contains(demo::OVERDUE_SERVICE) && list.contains("サンプル省"));
        // The notice's readers: nobody yet.
        let notice_id = ids(db, "SELECT id FROM programme_notices").await[0];
        assert_eq!(
            ismap_store::notices::read_count(db, notice_id)
                .await
                .unwrap(),
            0
        );
    }
}
