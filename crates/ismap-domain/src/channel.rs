//! The channel between agencies and the secretariat (ISMAP運営委員会事務局),
//! issue 15 items 5–7 (seed 000, section 2 (2) and section 3): inquiries
//! (調査) with questions the agency answers, doubts (疑義) an agency shares,
//! status requests (申請状況の問合せ). Pure rules: the state machines, the
//! due-date rule shared with the review's questions, and the input bounds.

use chrono::NaiveDate;

/// Longest subject, title or service name (characters).
pub const MAX_NAME: usize = 200;
/// Longest free text: a question, an answer, a description, a conclusion.
pub const MAX_TEXT: usize = 4000;
/// Most questions asked at once.
pub const MAX_QUESTIONS: usize = 20;
/// Furthest a due date may lie ahead (days): a question due more than a
/// year ahead is a typing mistake (assumption of this system).
pub const MAX_DUE_DAYS: i64 = 366;

/// Why a due date is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DueDateError {
    /// Not a date (`YYYY-MM-DD`).
    Malformed,
    /// Before today: nobody can answer in the past.
    Past,
    /// More than [`MAX_DUE_DAYS`] ahead.
    TooFar,
}

impl DueDateError {
    pub fn key(self) -> &'static str {
        match self {
            DueDateError::Malformed => "malformed",
            DueDateError::Past => "past",
            DueDateError::TooFar => "too_far",
        }
    }
}

/// The due date of a question asked `today`: today or later, within
/// [`MAX_DUE_DAYS`]. The same rule as the review's questions (an IPA
/// question may not be due in the past either).
pub fn due_date(text: &str, today: NaiveDate) -> Result<NaiveDate, DueDateError> {
    let due: NaiveDate = text.trim().parse().map_err(|_| DueDateError::Malformed)?;
    check_due_date(due, today)?;
    Ok(due)
}

/// [`due_date`] for a parsed date.
pub fn check_due_date(due: NaiveDate, today: NaiveDate) -> Result<(), DueDateError> {
    if due < today {
        Err(DueDateError::Past)
    } else if (due - today).num_days() > MAX_DUE_DAYS {
        Err(DueDateError::TooFar)
    } else {
        Ok(())
    }
}

/// A question is overdue when it is unanswered after its due date.
pub fn overdue(due: NaiveDate, answered: bool, today: NaiveDate) -> bool {
    !answered && due < today
}

/// Questions typed one per line: trimmed, blank lines dropped.
pub fn questions_from_lines(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Why a text is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TextError {
    Empty,
    TooLong { max: usize },
}

/// A required text of at most `max` characters, trimmed.
pub fn required_text(text: &str, max: usize) -> Result<String, TextError> {
    let t = text.trim();
    if t.is_empty() {
        Err(TextError::Empty)
    } else {
        optional_text(t, max)
    }
}

/// An optional text of at most `max` characters, trimmed.
pub fn optional_text(text: &str, max: usize) -> Result<String, TextError> {
    let t = text.trim();
    if t.chars().count() > max {
        Err(TextError::TooLong { max })
    } else {
        Ok(t.to_owned())
    }
}

// ------------------------------------------------------------ inquiries

/// An inquiry's state: open → answered (every question answered) → closed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum InquiryState {
    Open,
    Answered,
    Closed,
}

impl InquiryState {
    pub const ALL: [InquiryState; 3] = [
        InquiryState::Open,
        InquiryState::Answered,
        InquiryState::Closed,
    ];

    pub fn key(self) -> &'static str {
        match self {
            InquiryState::Open => "open",
            InquiryState::Answered => "answered",
            InquiryState::Closed => "closed",
        }
    }

    pub fn from_key(key: &str) -> Option<InquiryState> {
        Self::ALL.into_iter().find(|s| s.key() == key)
    }
}

/// What happens to an inquiry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InquiryStep {
    /// The secretariat asks (more) questions: a follow-up reopens an
    /// answered inquiry.
    Ask,
    /// The agency answers one question; `last` when no other is open.
    Answer { last: bool },
    /// The secretariat closes it with a conclusion.
    Close,
}

/// The state after `step`, or `None` when the step is not possible.
pub fn inquiry_next(state: InquiryState, step: InquiryStep) -> Option<InquiryState> {
    use InquiryState::*;
    match (state, step) {
        (Closed, _) => None,
        (Open | Answered, InquiryStep::Ask) => Some(Open),
        (Open, InquiryStep::Answer { last: true }) => Some(Answered),
        (Open, InquiryStep::Answer { last: false }) => Some(Open),
        (Answered, InquiryStep::Answer { .. }) => None,
        (Open | Answered, InquiryStep::Close) => Some(Closed),
    }
}

// --------------------------------------------------------------- doubts

/// A doubt's state:
/// submitted → (referred_ipa | referred_committee)* → answered → closed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DoubtState {
    Submitted,
    ReferredIpa,
    ReferredCommittee,
    Answered,
    Closed,
}

impl DoubtState {
    pub const ALL: [DoubtState; 5] = [
        DoubtState::Submitted,
        DoubtState::ReferredIpa,
        DoubtState::ReferredCommittee,
        DoubtState::Answered,
        DoubtState::Closed,
    ];

    pub fn key(self) -> &'static str {
        match self {
            DoubtState::Submitted => "submitted",
            DoubtState::ReferredIpa => "referred_ipa",
            DoubtState::ReferredCommittee => "referred_committee",
            DoubtState::Answered => "answered",
            DoubtState::Closed => "closed",
        }
    }

    pub fn from_key(key: &str) -> Option<DoubtState> {
        Self::ALL.into_iter().find(|s| s.key() == key)
    }

    /// Still waiting for the secretariat's answer.
    pub fn is_pending(self) -> bool {
        matches!(
            self,
            DoubtState::Submitted | DoubtState::ReferredIpa | DoubtState::ReferredCommittee
        )
    }
}

/// The secretariat's moves on a doubt.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DoubtTransition {
    ReferIpa,
    ReferCommittee,
    Answer,
    Close,
}

impl DoubtTransition {
    pub const ALL: [DoubtTransition; 4] = [
        DoubtTransition::ReferIpa,
        DoubtTransition::ReferCommittee,
        DoubtTransition::Answer,
        DoubtTransition::Close,
    ];

    pub fn key(self) -> &'static str {
        match self {
            DoubtTransition::ReferIpa => "refer_ipa",
            DoubtTransition::ReferCommittee => "refer_committee",
            DoubtTransition::Answer => "answer",
            DoubtTransition::Close => "close",
        }
    }

    pub fn from_key(key: &str) -> Option<DoubtTransition> {
        Self::ALL.into_iter().find(|t| t.key() == key)
    }

    /// The event action of the move.
    pub fn action(self) -> &'static str {
        match self {
            DoubtTransition::ReferIpa => "doubt.refer_ipa",
            DoubtTransition::ReferCommittee => "doubt.refer_committee",
            DoubtTransition::Answer => "doubt.answer",
            DoubtTransition::Close => "doubt.close",
        }
    }
}

/// The state after `t`, or `None` when the move is not possible. A doubt
/// may be referred to IPA and to the committee, one after the other, while
/// it waits for the answer; closing needs the answer first.
pub fn doubt_next(state: DoubtState, t: DoubtTransition) -> Option<DoubtState> {
    use DoubtState::*;
    match (state, t) {
        (Submitted | ReferredCommittee, DoubtTransition::ReferIpa) => Some(ReferredIpa),
        (Submitted | ReferredIpa, DoubtTransition::ReferCommittee) => Some(ReferredCommittee),
        (Submitted | ReferredIpa | ReferredCommittee, DoubtTransition::Answer) => Some(Answered),
        (Answered, DoubtTransition::Close) => Some(Closed),
        _ => None,
    }
}

/// The moves possible from `state`.
pub fn doubt_moves(state: DoubtState) -> Vec<DoubtTransition> {
    DoubtTransition::ALL
        .into_iter()
        .filter(|t| doubt_next(state, *t).is_some())
        .collect()
}

// ------------------------------------------------------ status requests

/// A status request: open until the secretariat answers it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StatusRequestState {
    Open,
    Answered,
}

impl StatusRequestState {
    pub fn key(self) -> &'static str {
        match self {
            StatusRequestState::Open => "open",
            StatusRequestState::Answered => "answered",
        }
    }

    pub fn from_key(key: &str) -> Option<StatusRequestState> {
        match key {
            "open" => Some(StatusRequestState::Open),
            "answered" => Some(StatusRequestState::Answered),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn a_due_date_is_today_or_later_and_within_a_year() {
        let today = d("2026-12-01");
        assert_eq!(due_date("2026-12-01", today), Ok(d("2026-12-01")));
        assert_eq!(due_date(" 2026-12-15 ", today), Ok(d("2026-12-15")));
        assert_eq!(due_date("2026-11-30", today), Err(DueDateError::Past));
        assert_eq!(due_date("2027-12-02", today), Ok(d("2027-12-02")));
        assert_eq!(due_date("2027-12-03", today), Err(DueDateError::TooFar));
        assert_eq!(due_date("12/15", today), Err(DueDateError::Malformed));
        assert_eq!(due_date("", today), Err(DueDateError::Malformed));
        assert!(overdue(d("2026-11-30"), false, today));
        assert!(!overdue(d("2026-11-30"), true, today));
        assert!(!overdue(today, false, today));
    }

    #[test]
    fn questions_are_one_per_line() {
        assert_eq!(
            questions_from_lines("  利用状況は？\n\n移行計画は？  \n"),
            vec!["利用状況は？".to_owned(), "移行計画は？".to_owned()]
        );
        assert!(questions_from_lines(" \n ").is_empty());
    }

    #[test]
    fn texts_are_bounded() {
        assert_eq!(required_text("  ", 10), Err(TextError::Empty));
        assert_eq!(required_text(" 疑義 ", 10), Ok("疑義".to_owned()));
        assert_eq!(
            required_text(&"あ".repeat(11), 10),
            Err(TextError::TooLong { max: 10 })
        );
        assert_eq!(optional_text("", 10), Ok(String::new()));
    }

    #[test]
    fn an_inquiry_is_answered_by_its_last_answer_and_reopened_by_a_follow_up() {
        use InquiryState::*;
        assert_eq!(
            inquiry_next(Open, InquiryStep::Answer { last: false }),
            Some(Open)
        );
        assert_eq!(
            inquiry_next(Open, InquiryStep::Answer { last: true }),
            Some(Answered)
        );
        assert_eq!(inquiry_next(Answered, InquiryStep::Ask), Some(Open));
        assert_eq!(
            inquiry_next(Answered, InquiryStep::Answer { last: true }),
            None
        );
        assert_eq!(inquiry_next(Answered, InquiryStep::Close), Some(Closed));
        assert_eq!(inquiry_next(Open, InquiryStep::Close), Some(Closed));
        for step in [
            InquiryStep::Ask,
            InquiryStep::Answer { last: true },
            InquiryStep::Close,
        ] {
            assert_eq!(inquiry_next(Closed, step), None, "{step:?}");
        }
        for s in InquiryState::ALL {
            assert_eq!(InquiryState::from_key(s.key()), Some(s));
        }
    }

    #[test]
    fn a_doubt_is_referred_answered_then_closed() {
        use DoubtState::*;
        use DoubtTransition::*;
        assert_eq!(doubt_next(Submitted, ReferIpa), Some(ReferredIpa));
        assert_eq!(
            doubt_next(ReferredIpa, ReferCommittee),
            Some(ReferredCommittee)
        );
        assert_eq!(doubt_next(ReferredCommittee, ReferIpa), Some(ReferredIpa));
        assert_eq!(doubt_next(ReferredIpa, ReferIpa), None);
        assert_eq!(doubt_next(Submitted, Close), None, "the answer comes first");
        assert_eq!(doubt_next(ReferredCommittee, Answer), Some(Answered));
        assert_eq!(doubt_next(Answered, Close), Some(Closed));
        assert_eq!(doubt_next(Answered, ReferIpa), None);
        assert!(doubt_moves(Closed).is_empty());
        assert_eq!(doubt_moves(Answered), vec![Close]);
        assert_eq!(
            doubt_moves(Submitted),
            vec![ReferIpa, ReferCommittee, Answer]
        );
        for s in DoubtState::ALL {
            assert_eq!(DoubtState::from_key(s.key()), Some(s));
        }
        for t in DoubtTransition::ALL {
            assert_eq!(DoubtTransition::from_key(t.key()), Some(t));
            assert!(t.action().starts_with("doubt."));
        }
        assert!(Submitted.is_pending() && !Answered.is_pending());
    }

    #[test]
    fn a_status_request_is_open_until_answered() {
        for s in [StatusRequestState::Open, StatusRequestState::Answered] {
            assert_eq!(StatusRequestState::from_key(s.key()), Some(s));
        }
        assert_eq!(StatusRequestState::from_key("closed"), None);
    }
}
