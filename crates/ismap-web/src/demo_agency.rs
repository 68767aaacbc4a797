//! The demo's agencies at work (issue 15, item 10): サンプル省 keeps a
//! cloud usage register with every path a service can take — registered
//! (with its procurement check), CISO-confirmed, interim measures (one
//! overdue and not reported, one planned and running, one reported and
//! under the secretariat's inquiry) — has shared a doubt, and has a
//! programme notice it has not read yet; サンプル庁 has one entry of its
//! own, so that isolation between agencies shows.
//!
//! Everything goes through the store functions the pages call, as the demo
//! people themselves (`agency-a`, `agency-a-ciso`, `agency-b`,
//! `secretariat`), so the history, the events and the notifications are
//! those a person clicking through would have left. Only dates that are
//! part of the story (start of use, hearings, reports) lie in the past;
//! the records are written now.

use chrono::{Months, NaiveDate};
use ismap_domain::channel::DoubtTransition;
use ismap_domain::interim::{self as rules, PlanKind, ReportReason};
use ismap_domain::procurement;
use ismap_domain::register::{self as entries, EntryInput, RawEntry};
use ismap_store::{
    Actor, Db, StoreError, doubts, inquiries, interim, notices, notifications, orgs, register,
    users,
};

/// The demo IaaS, on the ISMAP list (seeded by `demo::seed`).
pub const IAAS_NAME: &str = "サンプルIaaS (Example IaaS)";
/// The demo SaaS, not registered (no application filed).
pub const SAAS_NAME: &str = "サンプル文書管理SaaS (Example SaaS)";
/// The unregistered service whose interim deadline has passed unreported.
pub const OVERDUE_SERVICE: &str = "サンプル電子申請クラウド";
/// The planned unregistered service with its interim measure running.
pub const PLANNED_SERVICE: &str = "サンプル研修管理サービス";
/// The unregistered service the CISO confirmed.
pub const CONFIRMED_SERVICE: &str = "サンプル広報サイト配信サービス";
/// The reported service under the secretariat's inquiry.
pub const REPORTED_SERVICE: &str = "サンプル統計分析クラウド";
/// サンプル庁's own entry.
pub const AGENCY_B_SYSTEM: &str = "職員ポータル";
/// The inquiry's subject.
pub const INQUIRY_SUBJECT: &str = "サンプル統計分析クラウドの暫定措置に関する調査";
/// The question still open.
pub const OPEN_QUESTION: &str =
    "移行先の候補となるISMAP登録済みサービスと、移行の完了予定時期を示してください。";
/// The programme notice サンプル省 has not read.
pub const NOTICE_TITLE: &str = "ISMAP管理基準の改定について（予告）";

fn refused(what: &str, errors: &[entries::FieldError]) -> StoreError {
    StoreError::Conflict(format!(
        "demo register entry {what:?} is refused: {}",
        errors
            .iter()
            .map(|e| format!("{}: {}", e.field.key(), e.problem))
            .collect::<Vec<_>>()
            .join("; ")
    ))
}

async fn person(db: &Db, username: &str) -> Result<Actor, StoreError> {
    let (user, _) = users::find_for_sign_in(db, username)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("demo account {username}")))?;
    Ok(Actor::user(user.id, &user.username))
}

async fn agency(db: &Db, name: &str) -> Result<i64, StoreError> {
    Ok(orgs::find_by_name(db, name)
        .await?
        .ok_or_else(|| StoreError::NotFound(name.to_owned()))?
        .id)
}

/// An entry as the register's form would take it (checked by the same
/// rules as the page), recorded by `actor` for `agency`.
async fn record(
    db: &Db,
    actor: &Actor,
    agency: i64,
    today: NaiveDate,
    raw: RawEntry,
) -> Result<register::Entry, StoreError> {
    let known = register::known_services(db).await?;
    let input: EntryInput =
        entries::parse(&raw, &known, today).map_err(|e| refused(&raw.system_name, &e))?;
    register::create(db, actor, agency, &input).await
}

/// The procurement check of `entry` today, stored as its snapshot (what
/// `POST /agency/register/{id}/checks` does).
async fn check(
    db: &Db,
    actor: &Actor,
    entry: &register::Entry,
    today: NaiveDate,
) -> Result<(), StoreError> {
    let facts = match entry.service_id {
        Some(service) => {
            register::procurement_facts(
                db,
                service,
                Some(entry.agency_id),
                entry.impact_assessment_id,
            )
            .await?
        }
        None => register::unregistered_facts(&entry.service_name),
    };
    register::record_check(db, actor, entry, &procurement::check(&facts, today)).await?;
    Ok(())
}

/// Declares the interim measure of `entry` (what `POST
/// /agency/register/{id}/interim` does), the origin chosen from the entry.
async fn declare(
    db: &Db,
    actor: &Actor,
    entry: &register::Entry,
    programme_start: NaiveDate,
    current_status: &str,
) -> Result<interim::Measure, StoreError> {
    let in_use_at_start = entry.start_of_use <= programme_start;
    let start = rules::origin_for(in_use_at_start, entry.start_of_use, programme_start)
        .map_err(|e| StoreError::Conflict(format!("demo interim origin: {e:?}")))?;
    let deadline = rules::deadline(start)
        .ok_or_else(|| StoreError::Conflict("demo interim deadline".into()))?;
    interim::declare(
        db,
        actor,
        entry.agency_id,
        &interim::NewMeasure {
            entry_id: entry.id,
            entry_version: entry.version,
            start,
            deadline,
            current_status,
        },
    )
    .await
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("a day of the demo's story")
}

#[allow(clippy::too_many_arguments)]
fn raw(
    system: &str,
    service_id: Option<i64>,
    service: &str,
    provider: &str,
    purpose: &str,
    level: u8,
    start: NaiveDate,
    status: &str,
    note: &str,
) -> RawEntry {
    RawEntry {
        system_name: system.to_owned(),
        service_id: service_id.map(|id| id.to_string()).unwrap_or_default(),
        service_name: service.to_owned(),
        provider_name: provider.to_owned(),
        purpose: purpose.to_owned(),
        confidentiality: level.to_string(),
        start_of_use: start.to_string(),
        status: status.to_owned(),
        note: note.to_owned(),
    }
}

/// Seeds the agencies' work into the demo world (called once, at the end
/// of `demo::seed`). `today` is the demo's day; `programme_start` the day
/// interim measures of services in use then are counted from.
pub async fn seed(db: &Db, today: NaiveDate, programme_start: NaiveDate) -> Result<(), StoreError> {
    let officer = person(db, "agency-a").await?;
    let ciso = person(db, "agency-a-ciso").await?;
    let other = person(db, "agency-b").await?;
    let secretariat = person(db, "secretariat").await?;
    let ministry = agency(db, "サンプル省").await?;
    let agency_b = agency(db, "サンプル庁").await?;
    let services = register::known_services(db).await?;
    let iaas = services
        .iter()
        .find(|s| s.name == IAAS_NAME)
        .map(|s| s.id)
        .ok_or_else(|| StoreError::NotFound(IAAS_NAME.to_owned()))?;
    let months_ago = |n: u32| today.checked_sub_months(Months::new(n)).unwrap_or(today);
    let months_ahead = |n: u32| today.checked_add_months(Months::new(n)).unwrap_or(today);
    let days_ago = |n: u64| {
        today
            .checked_sub_days(chrono::Days::new(n))
            .unwrap_or(today)
    };
    let days_ahead = |n: u64| {
        today
            .checked_add_days(chrono::Days::new(n))
            .unwrap_or(today)
    };
    // Days of the story before the demo starts, never before the
    // programme's start.
    let past = |d: NaiveDate| d.max(programme_start);

    // 1. The registered IaaS: recorded, checked today → path registered.
    let registered = record(
        db,
        &officer,
        ministry,
        today,
        raw(
            "文書管理基盤",
            Some(iaas),
            "",
            "",
            "省内の文書管理システムを稼働させる仮想サーバとストレージ。",
            2,
            months_ago(3),
            "in_use",
            "東京・大阪の2リージョン構成。",
        ),
    )
    .await?;
    check(db, &officer, &registered, today).await?;

    // 2. The demo SaaS: not registered, its provider has not applied yet;
    //    planned, still undecided (the check says so).
    let saas = record(
        db,
        &officer,
        ministry,
        today,
        raw(
            "文書管理システム（電子決裁）",
            None,
            SAAS_NAME,
            "株式会社サンプルクラウド",
            "決裁文書の起案・回覧・保存。",
            2,
            months_ahead(4),
            "planned",
            "提供事業者はISMAPへの申請を準備中と説明している。",
        ),
    )
    .await?;
    check(db, &officer, &saas, today).await?;

    // 3. An unregistered service in use at the programme's start: the
    //    interim deadline (one year from the start) has passed and the
    //    ministry has not reported yet — overdue for both sides.
    let overdue_entry = record(
        db,
        &officer,
        ministry,
        today,
        raw(
            "電子申請受付システム",
            None,
            OVERDUE_SERVICE,
            "株式会社サンプル電子申請",
            "国民からの各種申請の受付と審査状況の通知。",
            2,
            day(2019, 10, 1).min(programme_start),
            "in_use",
            "",
        ),
    )
    .await?;
    let overdue = declare(
        db,
        &officer,
        &overdue_entry,
        programme_start,
        "制度開始時点で利用中。提供事業者はISMAPへの申請を検討中と回答しているが、申請時期は未定。",
    )
    .await?;
    interim::acknowledge(
        db,
        &officer,
        overdue.id,
        "ISMAPへの登録まで、当省の責任において利用を継続します。",
    )
    .await?;
    interim::request_provider(
        db,
        &officer,
        overdue.id,
        past(day(2020, 7, 15)),
        "文書による依頼",
        "ISMAPへの早期の申請を文書で依頼した。",
    )
    .await?;
    interim::hear(
        db,
        &officer,
        overdue.id,
        past(day(2021, 3, 10)),
        "外部監査の費用と体制が整わず、申請は次年度以降になる見込みとの説明を受けた。",
    )
    .await?;

    // 4. A planned unregistered service (start of use in two months): the
    //    measure runs from its start of use; acknowledged, the provider
    //    asked, one hearing.
    let planned_entry = record(
        db,
        &officer,
        ministry,
        today,
        raw(
            "職員研修管理システム",
            None,
            PLANNED_SERVICE,
            "株式会社サンプルラーニング",
            "職員向けeラーニングの受講管理。",
            1,
            months_ahead(2),
            "planned",
            "",
        ),
    )
    .await?;
    let planned = declare(
        db,
        &officer,
        &planned_entry,
        programme_start,
        "利用開始前。提供事業者は監査機関と言明書の作成を始めている。",
    )
    .await?;
    interim::acknowledge(
        db,
        &officer,
        planned.id,
        "ISMAPへの登録まで、当省の責任において利用します。",
    )
    .await?;
    interim::request_provider(
        db,
        &officer,
        planned.id,
        past(days_ago(30)),
        "打合せ",
        "契約前の打合せで、利用開始から1年以内の申請を依頼した。",
    )
    .await?;
    interim::hear(
        db,
        &officer,
        planned.id,
        past(days_ago(7)),
        "監査機関との契約を締結済みで、半年以内に申請する予定との回答を得た。",
    )
    .await?;

    // 5. An unregistered service confirmed by the CISO: the officer
    //    prepares, the CISO confirms under their responsibility.
    let confirmed_entry = record(
        db,
        &officer,
        ministry,
        today,
        raw(
            "広報ウェブサイト",
            None,
            CONFIRMED_SERVICE,
            "サンプルネットワークス株式会社",
            "公表済み情報の配信（要機密情報は扱わない）。",
            1,
            months_ago(8),
            "in_use",
            "",
        ),
    )
    .await?;
    let basis = "公開情報のみを扱うため、ISMAP管理基準の統制目標に照らして必要な対策を確認した。";
    let evidence =
        "提供事業者のISO/IEC 27001認証書の写し、および当省のチェックリストによる確認結果。";
    register::save_draft(db, &officer, &confirmed_entry, basis, evidence, None).await?;
    register::confirm(
        db,
        &ciso,
        &register::get(db, confirmed_entry.id).await?,
        basis,
        evidence,
        today,
        None,
    )
    .await?;

    // 6. An unregistered service reported to the secretariat (no
    //    application is coming), with the plan and the secretariat's
    //    inquiry: one question answered, one open.
    let reported_entry = record(
        db,
        &officer,
        ministry,
        today,
        raw(
            "統計データ集計システム",
            None,
            REPORTED_SERVICE,
            "株式会社サンプルアナリティクス",
            "業務統計の集計と公表資料の作成。",
            2,
            day(2020, 1, 15).min(programme_start),
            "in_use",
            "",
        ),
    )
    .await?;
    let reported = declare(
        db,
        &officer,
        &reported_entry,
        programme_start,
        "制度開始時点で利用中。提供事業者の申請予定は未確認。",
    )
    .await?;
    interim::acknowledge(
        db,
        &officer,
        reported.id,
        "ISMAPへの登録まで、当省の責任において利用を継続します。",
    )
    .await?;
    let deadline_passed = reported.deadline < today;
    interim::report(
        db,
        &officer,
        reported.id,
        if deadline_passed {
            ReportReason::DeadlinePassed
        } else {
            ReportReason::NoApplicationExpected
        },
        "提供事業者からISMAPへの申請は行わないとの回答があったため報告します。登録済みサービスへの移行を検討します。",
        past(days_ago(60)),
    )
    .await?;
    interim::plan(
        db,
        &officer,
        reported.id,
        PlanKind::Migration,
        "ISMAP登録済みの分析サービスへ移行する。移行に必要な経費は次年度予算で要求する。",
        months_ahead(3),
        months_ahead(12),
    )
    .await?;
    let inquiry = inquiries::open(
        db,
        &secretariat,
        inquiries::NewInquiry {
            agency_id: ministry,
            interim_measure_id: Some(reported.id),
            subject: INQUIRY_SUBJECT,
            body: "暫定措置の報告を受け、利用の状況と今後の対応を確認します。",
            questions: &[
                (
                    "現在このサービスで取り扱っている情報の種類と、機密性の区分を示してください。"
                        .to_owned(),
                    days_ahead(3),
                ),
                (OPEN_QUESTION.to_owned(), days_ahead(10)),
            ],
        },
    )
    .await?;
    let first = inquiries::questions(db, inquiry.id)
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| StoreError::NotFound("the inquiry's first question".into()))?;
    // No attachment is stored, so no file is sealed with this key.
    let unused_key = ismap_store::vault::MasterKey::generate();
    inquiries::answer(
        db,
        &unused_key,
        &officer,
        &inquiry,
        first.id,
        "業務統計の集計値（個人情報を含まない）で、機密性2に該当します。",
        None,
    )
    .await?;

    // 7. A doubt shared about the demo IaaS, referred to IPA and answered.
    let doubt = doubts::submit(
        db,
        &unused_key,
        &officer,
        doubts::NewDoubt {
            agency_id: ministry,
            service_id: Some(iaas),
            service_name: IAAS_NAME,
            description: "提供事業者の障害報告に、大阪リージョンのバックアップが東京リージョンと同じ設備に保管されていたとの記載があり、登録時に公開された情報と異なる可能性があります。",
            files: Vec::new(),
        },
    )
    .await?;
    let doubt = doubts::transition(
        db,
        &secretariat,
        &doubt,
        DoubtTransition::ReferIpa,
        "登録時の監査範囲との関係について、IPAに確認を依頼します。",
    )
    .await?;
    doubts::transition(
        db,
        &secretariat,
        &doubt,
        DoubtTransition::Answer,
        "提供事業者に確認したところ、一時的な設定誤りで、現在は是正済みとの回答を得ました。次回の監査で確認されます。",
    )
    .await?;

    // 8. A programme notice サンプル省 has not opened yet.
    notices::publish(
        db,
        &unused_key,
        &secretariat,
        NOTICE_TITLE,
        "国際規格の改定に伴い、ISMAP管理基準の大幅な改定を予定しています。改定案の説明会を各政府機関等向けに開催しますので、調達担当者とCISOの方はご参加ください。",
        None,
    )
    .await?;

    // サンプル庁's own entry, registered (the other agency never sees it,
    // nor サンプル省's).
    let theirs = record(
        db,
        &other,
        agency_b,
        today,
        raw(
            AGENCY_B_SYSTEM,
            Some(iaas),
            "",
            "",
            "庁内向け情報共有ポータルの基盤。",
            2,
            months_ago(5),
            "in_use",
            "",
        ),
    )
    .await?;
    check(db, &other, &theirs, today).await?;

    // The bells start quiet: what seeding told people is in their lists,
    // already read (the story happened before the demo starts).
    for username in [
        "agency-a",
        "agency-a-ciso",
        "agency-b",
        "secretariat",
        "reviewer",
    ] {
        if let Some((user, _)) = users::find_for_sign_in(db, username).await? {
            notifications::mark_all_read(db, user.id).await?;
        }
    }
    Ok(())
}
