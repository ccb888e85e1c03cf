//! Quiz questions, read from the trace: at a server reply, "which reply code?"; at a client
//! decision, "what does the client do now?". Each question has 3 or 4 plausible choices and
//! cites the rules of its step in the feedback.

use starttls_protocol::command::Verb;
use starttls_protocol::reply::Reply;
use starttls_protocol::rules::RuleId;
use starttls_sim::trace::{Actor, Detail, SmtpItem, Step, StepKind, Trace};

/// What a question is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuestionKind {
    /// The code of the server's next reply.
    ReplyCode,
    /// What the client decides.
    ClientDecision,
}

impl QuestionKind {
    /// `reply-code` or `client-decision`, for `data-` attributes.
    pub fn as_str(self) -> &'static str {
        match self {
            QuestionKind::ReplyCode => "reply-code",
            QuestionKind::ClientDecision => "client-decision",
        }
    }
}

/// One question, asked before the step at `index` is shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Question {
    /// The step it is about.
    pub index: usize,
    /// Reply code or client decision.
    pub kind: QuestionKind,
    /// The question, in plain words.
    pub prompt: String,
    /// The choices, in a fixed order.
    pub choices: Vec<String>,
    /// The index of the right choice.
    pub answer: usize,
    /// What actually happens (shown with the feedback).
    pub reveal: String,
    /// The rules of the step, for the feedback.
    pub rules: Vec<RuleId>,
}

/// The client's decisions a question can be about, with their labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Decision {
    StartHandshake,
    EhloFirst,
    Accept,
    Insufficient,
    KeepOldList,
    ContinueClear,
    QuitNoTls,
    AbortHandshake,
    IgnoreStarttls,
    StarttlsAgain,
}

impl Decision {
    fn label(self) -> &'static str {
        match self {
            Decision::StartHandshake => "Start the TLS handshake at once, before any other command",
            Decision::EhloFirst => "Send EHLO again first, in cleartext, then start TLS",
            Decision::Accept => "Judge the TLS session good enough, and go on under TLS",
            Decision::Insufficient => "Judge the TLS session insufficient, and quit",
            Decision::KeepOldList => {
                "Go on with the extension list it learnt before TLS, without a new EHLO"
            }
            Decision::ContinueClear => "Go on without TLS, in cleartext",
            Decision::QuitNoTls => "Quit: TLS cannot be had, and it requires TLS",
            Decision::AbortHandshake => "Abort the session: the TLS handshake failed",
            Decision::IgnoreStarttls => "Ignore the STARTTLS listed under TLS: TLS is already on",
            Decision::StarttlsAgain => "Send STARTTLS again, to upgrade once more",
        }
    }

    /// The right decision and the plausible wrong ones, in a fixed order.
    fn choices(self) -> Vec<Decision> {
        use Decision::*;
        let mut list = match self {
            StartHandshake | EhloFirst => vec![StartHandshake, EhloFirst, ContinueClear, QuitNoTls],
            Accept | Insufficient | KeepOldList => {
                vec![Accept, Insufficient, KeepOldList, ContinueClear]
            }
            ContinueClear | QuitNoTls => vec![StartHandshake, ContinueClear, QuitNoTls, EhloFirst],
            AbortHandshake => vec![AbortHandshake, ContinueClear, Accept, StartHandshake],
            IgnoreStarttls | StarttlsAgain => {
                vec![IgnoreStarttls, StarttlsAgain, Insufficient, ContinueClear]
            }
        };
        if !list.contains(&self) {
            list.insert(0, self);
        }
        list.sort();
        list.dedup();
        list
    }
}

fn client_decision(step: &Step) -> Option<Decision> {
    use starttls_sim::trace::ClientDecision as D;
    if step.actor != Actor::Client
        || !matches!(step.kind, StepKind::Decision | StepKind::StateChange)
    {
        return None;
    }
    // The engine's decision, as the trace records it.
    Some(match step.decision? {
        D::StartHandshake => Decision::StartHandshake,
        D::AcceptSession => Decision::Accept,
        D::QuitInsecure => Decision::Insufficient,
        D::ContinueInClear => Decision::ContinueClear,
        D::QuitWithoutTls => Decision::QuitNoTls,
        D::AbortHandshake => Decision::AbortHandshake,
        D::IgnoreStarttls => Decision::IgnoreStarttls,
    })
}

/// Plausible codes for a reply to `verb` (`None`: the greeting or the end of the message).
fn plausible_codes(verb: Option<Verb>, greeting: bool) -> &'static [u16] {
    match verb {
        None if greeting => &[220, 421, 554, 250],
        None => &[250, 354, 530, 554],
        Some(Verb::StartTls) => &[220, 454, 501, 503, 554],
        Some(Verb::Ehlo | Verb::Helo) => &[250, 502, 530, 554],
        Some(Verb::Data) => &[354, 250, 503, 530, 554],
        Some(Verb::Quit) => &[221, 250, 554],
        _ => &[250, 503, 530, 554],
    }
}

/// The reply a question is about: the first one that is not a plain 250, else the first.
fn asked_reply(step: &Step) -> Option<(usize, &Reply, Option<Verb>)> {
    if step.actor != Actor::Server || step.kind != StepKind::Reply {
        return None;
    }
    let Detail::Wire(view) = &step.detail else {
        return None;
    };
    let replies: Vec<(&Reply, Option<Verb>)> = view
        .smtp
        .iter()
        .filter_map(|item| match item {
            SmtpItem::Reply {
                reply, in_reply_to, ..
            } => Some((reply, *in_reply_to)),
            _ => None,
        })
        .collect();
    let (reply, verb) = replies
        .iter()
        .find(|(r, _)| r.code != 250)
        .or_else(|| replies.first())
        .copied()?;
    Some((replies.len(), reply, verb))
}

/// The question asked before step `index` is shown, if that step is a server reply or a
/// client decision.
pub fn question_for(trace: &Trace, index: usize) -> Option<Question> {
    let step = trace.steps.get(index)?;
    if let Some((count, reply, verb)) = asked_reply(step) {
        let greeting = verb.is_none()
            && !trace.steps[..index]
                .iter()
                .any(|s| s.kind == StepKind::Reply);
        let mut codes: Vec<u16> = vec![reply.code];
        for c in plausible_codes(verb, greeting) {
            if codes.len() >= 4 {
                break;
            }
            if !codes.contains(c) {
                codes.push(*c);
            }
        }
        codes.sort_unstable();
        let answer = codes.iter().position(|c| *c == reply.code)?;
        let what = match verb {
            Some(v) => format!("answers {}", v.as_str()),
            None if greeting => "greets the client".to_string(),
            None => "answers the end of the message".to_string(),
        };
        let more = if count > 1 {
            format!(" (one of {count} replies in this flight)")
        } else {
            String::new()
        };
        let tls = if step.tls { ", under TLS" } else { "" };
        return Some(Question {
            index,
            kind: QuestionKind::ReplyCode,
            prompt: format!("The server {what}{tls}{more}. Which reply code does it send?"),
            choices: codes.iter().map(u16::to_string).collect(),
            answer,
            reveal: match reply.enhanced {
                Some(e) => format!("{} {e} {}", reply.code, reply.text()),
                None => format!("{} {}", reply.code, reply.text()),
            },
            rules: dedup(&step.cited()),
        });
    }
    let decision = client_decision(step)?;
    let choices = decision.choices();
    let answer = choices.iter().position(|d| *d == decision)?;
    Some(Question {
        index,
        kind: QuestionKind::ClientDecision,
        prompt: "The client has to decide. What does it do now?".into(),
        choices: choices.iter().map(|d| d.label().to_string()).collect(),
        answer,
        reveal: step.text.clone(),
        rules: dedup(&step.cited()),
    })
}

fn dedup(rules: &[RuleId]) -> Vec<RuleId> {
    let mut out = Vec::new();
    for r in rules {
        if !out.contains(r) {
            out.push(*r);
        }
    }
    out
}

/// The indices of every step a quiz asks about, in order.
pub fn question_steps(trace: &Trace) -> Vec<usize> {
    (0..trace.steps.len())
        .filter(|&i| question_for(trace, i).is_some())
        .collect()
}
