//! The simulator driven natively, its streams read back through the core's own reader.

use super::*;
use crate::core::api::{self as capi, HttpResponse, decode};
use crate::core::error::Caller;
use crate::core::error::ErrorKind;
use crate::core::render::{RenderStatus, parse_status};
use crate::core::stream::{StreamEvent, TurnReader};
use crate::sim::plan::{Step, Timing};

fn req(method: &str, path: &str, token: Option<&str>, body: Option<Value>) -> SimRequest {
    let mut headers = vec![
        (
            "x-skill-source".to_owned(),
            "colab-text-to-video".to_owned(),
        ),
        ("x-skill-version".to_owned(), "0.1.0".to_owned()),
        ("x-skill-platform".to_owned(), "unknown".to_owned()),
        ("x-client-id".to_owned(), "client-1".to_owned()),
        (
            "accept".to_owned(),
            if path == "/run_sse" {
                "text/event-stream"
            } else {
                "application/json"
            }
            .to_owned(),
        ),
    ];
    if let Some(t) = token {
        headers.push(("authorization".to_owned(), format!("Bearer {t}")));
    }
    if body.is_some() {
        headers.push(("content-type".to_owned(), "application/json".to_owned()));
    }
    SimRequest {
        method: method.into(),
        origin: "http://sim.test".into(),
        path: path.into(),
        headers,
        body: body.map_or(SimBody::None, |b| SimBody::Text(b.to_string())),
    }
}

fn bytes(r: &SimResponse) -> Vec<u8> {
    r.body
        .iter()
        .filter_map(|s| {
            if let Step::Bytes(b) = s {
                Some(b.clone())
            } else {
                None
            }
        })
        .flatten()
        .collect()
}

fn data(r: &SimResponse) -> Result<Value, crate::core::error::NemoError> {
    let body = String::from_utf8(bytes(r)).unwrap();
    decode(
        HttpResponse {
            status: r.status,
            body: &body,
            retry_after: None,
        },
        &Caller::default(),
        0,
    )
    .map(|d| d.data)
}

fn connect(sim: &mut Simulator) -> (String, String) {
    let t = data(&sim.handle(&req("POST", "/api/auth/anonymous-token", None, None))).unwrap();
    let token = t["token"].as_str().unwrap().to_owned();
    let s = data(&sim.handle(&req(
        "POST",
        "/api/tasks/me/with-session/nemo_agent",
        Some(&token),
        Some(json!({"task_name": "project", "language": "en"})),
    )))
    .unwrap();
    (token, capi::parse_session(&s).unwrap())
}

fn chat(
    sim: &mut Simulator,
    token: &str,
    sid: &str,
    text: &str,
) -> (
    SimResponse,
    Vec<StreamEvent>,
    crate::core::stream::TurnSummary,
) {
    let body = json!({"app_name": "nemo_agent", "user_id": "me", "session_id": sid, "new_message": {"role": "user", "parts": [{"text": text}]}, "streaming": true});
    let r = sim.handle(&req("POST", "/run_sse", Some(token), Some(body)));
    let mut reader = TurnReader::new(Caller::default(), 1 << 20);
    let mut events = reader.push(&bytes(&r));
    let (rest, summary) = reader.finish();
    events.extend(rest);
    (r, events, summary)
}

fn fast() -> SimOptions {
    SimOptions {
        timing: Timing {
            chunk_delay_ms: 0,
            work_ms: 10,
            heartbeat_ms: Some(5),
        },
        ..SimOptions::default()
    }
}

#[test]
fn a_whole_session_with_well_formed_requests() {
    let mut sim = Simulator::new(fast());
    let (token, sid) = connect(&mut sim);
    assert_eq!(sid.len(), 19, "a 19-digit session id");
    let (r, events, summary) = chat(
        &mut sim,
        &token,
        &sid,
        "make a 30-second city timelapse with lo-fi music",
    );
    assert_eq!(r.status, 200);
    assert!(
        events
            .iter()
            .any(|e| matches!(e, StreamEvent::ToolCall { name } if name == "generate_video"))
    );
    assert_eq!(
        events
            .iter()
            .filter(|e| matches!(e, StreamEvent::ToolCall { .. }))
            .count(),
        1,
        "the repeated call is reported once"
    );
    assert!(
        summary
            .messages
            .iter()
            .any(|m| m.contains("30-second city timelapse"))
    );
    assert!(
        r.body
            .iter()
            .filter(|s| matches!(s, Step::Bytes(_)))
            .count()
            > 10,
        "small chunks"
    );
    let (_, _, _) = chat(&mut sim, &token, &sid, "add lo-fi music");
    let state = data(&sim.handle(&req(
        "GET",
        &format!("/api/state/nemo_agent/me/{sid}/latest"),
        Some(&token),
        None,
    )))
    .unwrap();
    let draft = capi::parse_state_draft(&state).unwrap();
    assert!(crate::core::draft::summarize(&draft).contains("BGM: Lo-fi (0-30s, 35%)"));
    let credits = capi::parse_credits(
        &data(&sim.handle(&req(
            "GET",
            "/api/credits/balance/simple",
            Some(&token),
            None,
        )))
        .unwrap(),
    )
    .unwrap();
    assert_eq!(credits.available, 96.0);
    let submit = json!({"id": "render_1", "sessionId": sid, "draft": draft, "output": {"format": "mp4", "quality": "high"}});
    assert_eq!(
        sim.handle(&req(
            "POST",
            "/api/render/proxy/lambda",
            Some(&token),
            Some(submit)
        ))
        .status,
        200
    );
    let mut last = None;
    for _ in 0..3 {
        let r = sim.handle(&req(
            "GET",
            "/api/render/proxy/lambda/render_1",
            Some(&token),
            None,
        ));
        let top: Value = serde_json::from_slice(&bytes(&r)).unwrap();
        last = Some(parse_status(&top, &top["data"]));
    }
    let last = last.unwrap();
    assert_eq!(
        (last.status, last.url.as_deref()),
        (
            RenderStatus::Completed,
            Some("http://sim.test/sim/video.mp4")
        )
    );
    assert!(
        sim.log().iter().all(|e| e.problems.is_empty()),
        "{:?}",
        sim.log()
    );
}

#[test]
fn every_third_edit_is_silent_in_each_real_form() {
    let mut sim = Simulator::new(fast());
    let (token, sid) = connect(&mut sim);
    let msgs = [
        "make a video of the sea",
        "add lo-fi music",
        "add the title \"Sea\"",
        "make it 20 seconds longer",
        "music volume 50%",
        "add a caption \"Two\"",
        "make it 12 seconds shorter",
        "music volume 20%",
        "add the title \"Three\"",
    ];
    let silent: Vec<bool> = msgs
        .iter()
        .map(|m| chat(&mut sim, &token, &sid, m).2.ended_without_text)
        .collect();
    assert_eq!(
        silent,
        vec![false, false, true, false, false, true, false, false, true]
    );
}

#[test]
fn faults() {
    let mut sim = Simulator::new(fast());
    let (token, sid) = connect(&mut sim);
    sim.set_faults(Faults {
        rate_limit: 1,
        retry_after_s: Some(2),
        ..Faults::default()
    });
    let r = sim.handle(&req(
        "GET",
        "/api/credits/balance/simple",
        Some(&token),
        None,
    ));
    assert_eq!(
        (
            r.status,
            r.headers
                .iter()
                .any(|(k, v)| k == "retry-after" && v == "2")
        ),
        (429, true)
    );
    sim.set_faults(Faults {
        out_of_credits: 1,
        ..Faults::default()
    });
    assert_eq!(
        data(&chat(&mut sim, &token, &sid, "hi").0)
            .unwrap_err()
            .kind,
        ErrorKind::Credits
    );
    sim.set_faults(Faults {
        error_payload: 1,
        ..Faults::default()
    });
    let (_, events, _) = chat(&mut sim, &token, &sid, "hi");
    assert_eq!(
        events
            .iter()
            .filter(|e| matches!(e, StreamEvent::Error(_)))
            .count(),
        1
    );
    sim.set_faults(Faults {
        drop_stream: 1,
        ..Faults::default()
    });
    let (r, _, _) = chat(&mut sim, &token, &sid, "make a video of a forest");
    assert_eq!(r.body.last(), Some(&Step::Fail));
    assert!(
        crate::core::draft::is_ready(sim.draft(&sid).unwrap()),
        "the edit landed before the drop"
    );
    sim.set_faults(Faults {
        heartbeats_only: 1,
        ..Faults::default()
    });
    assert!(matches!(
        chat(&mut sim, &token, &sid, "hi").0.body[..],
        [Step::Forever { .. }]
    ));
    sim.set_faults(Faults {
        session_not_found: 1,
        ..Faults::default()
    });
    let r = chat(&mut sim, &token, &sid, "hi").0;
    assert_eq!(r.status, 404);
    assert!(
        String::from_utf8(bytes(&r))
            .unwrap()
            .contains("Session not found")
    );
    sim.expire_tokens();
    assert_eq!(
        data(&sim.handle(&req(
            "GET",
            "/api/credits/balance/simple",
            Some(&token),
            None
        )))
        .unwrap_err()
        .kind,
        ErrorKind::Auth
    );
}

#[test]
fn token_expires_after_n_calls() {
    let mut sim = Simulator::new(SimOptions {
        faults: Faults {
            expire_token_after: Some(2),
            ..Faults::default()
        },
        ..fast()
    });
    let (token, _) = connect(&mut sim);
    let credits = || req("GET", "/api/credits/balance/simple", Some(&token), None);
    let statuses: Vec<u16> = (0..3).map(|_| sim.handle(&credits()).status).collect();
    assert_eq!(
        statuses,
        vec![200, 401, 401],
        "the session call and one more, then 1001"
    );
    assert_eq!(sim.log().last().unwrap().auth, "expired");
}

#[test]
fn checks_what_it_receives() {
    let mut sim = Simulator::new(fast());
    let (token, _) = connect(&mut sim);
    let mut bare = req("GET", "/api/credits/balance/simple", Some(&token), None);
    bare.headers.retain(|(k, _)| !k.starts_with("x-skill"));
    sim.handle(&bare);
    assert_eq!(
        sim.log().last().unwrap().problems,
        vec!["missing attribution headers".to_owned()]
    );
    let r = sim.handle(&req("GET", "/api/credits/balance/simple", None, None));
    assert_eq!((r.status, sim.log().last().unwrap().auth), (401, "none"));
    let r = sim.handle(&req(
        "POST",
        "/api/tasks/me/with-session/nemo_agent",
        Some(&token),
        Some(json!({"task_name": "x"})),
    ));
    assert_eq!(r.status, 422);
    let mut anon = req("POST", "/api/auth/anonymous-token", None, None);
    anon.headers.retain(|(k, _)| k != "x-client-id");
    assert_eq!(sim.handle(&anon).status, 400);
    assert!(
        !format!("{:?}", sim.log()).contains("nmv_usr_"),
        "the log never holds a token"
    );
}

#[test]
fn render_forms_and_failures() {
    for form in [
        RenderForm::OutputDotUrl,
        RenderForm::OutputUrl,
        RenderForm::SuccessTopLevel,
        RenderForm::Bare,
        RenderForm::NoUrl,
    ] {
        let mut sim = Simulator::new(SimOptions {
            render_form: form,
            render_polls: 1,
            ..fast()
        });
        let (token, sid) = connect(&mut sim);
        chat(&mut sim, &token, &sid, "make a video of the sea");
        let draft = sim.draft(&sid).unwrap().clone();
        let submit = json!({"id": "render_7", "sessionId": sid, "draft": draft, "output": {"format": "mp4", "quality": "high"}});
        sim.handle(&req(
            "POST",
            "/api/render/proxy/lambda",
            Some(&token),
            Some(submit),
        ));
        let r = sim.handle(&req(
            "GET",
            "/api/render/proxy/lambda/render_7",
            Some(&token),
            None,
        ));
        let top: Value = serde_json::from_slice(&bytes(&r)).unwrap();
        let s = parse_status(&top, top.get("data").unwrap_or(&top));
        assert_eq!(s.status, RenderStatus::Completed, "{form:?}");
        assert_eq!(s.url.is_some(), form != RenderForm::NoUrl, "{form:?}");
        let dl = sim.handle(&req(
            "GET",
            "/api/render/proxy/render_7/download",
            Some(&token),
            None,
        ));
        assert_eq!((dl.status, bytes(&dl)), (200, TINY_MP4.to_vec()));
    }
}

#[test]
fn memory_stays_bounded_over_a_long_run() {
    let mut sim = Simulator::new(SimOptions::default());
    let n = super::bounded::MAX_ENTRIES + 2_000;
    for i in 0..n {
        let mut r = req("POST", "/api/auth/anonymous-token", None, None);
        for h in r.headers.iter_mut().filter(|(k, _)| k == "x-client-id") {
            h.1 = format!("client-{i}");
        }
        sim.handle(&r);
    }
    assert!(sim.users.map_len() <= super::bounded::MAX_ENTRIES);
    assert!(sim.tokens.map_len() <= super::bounded::MAX_ENTRIES);
    assert!(sim.log().len() <= MAX_LOG);
    // Requests keep their numbers after the log dropped the oldest.
    assert_eq!(sim.last_request(), n - 1);
    sim.mark_aborted(n - 1);
    assert!(sim.log().last().unwrap().aborted);
}

#[test]
fn ids_come_from_their_own_seed() {
    let a = Simulator::new(SimOptions {
        id_seed: Some(1),
        ..SimOptions::default()
    });
    let b = Simulator::new(SimOptions {
        id_seed: Some(2),
        ..SimOptions::default()
    });
    let (mut a, mut b) = (a, b);
    let (ta, _) = connect(&mut a);
    let (tb, _) = connect(&mut b);
    assert_ne!(ta, tb, "another id seed, other tokens");
}

fn call_fault(call: &str, fault: Value, times: u32) -> Faults {
    let v = json!({"calls": [{"call": call, "fault": fault, "times": times}], "slowMs": 7});
    Faults::from_value(Some(&v)).unwrap()
}

fn credits_with(sim: &mut Simulator, token: &str) -> SimResponse {
    sim.handle(&req(
        "GET",
        "/api/credits/balance/simple",
        Some(token),
        None,
    ))
}

#[test]
fn call_faults_hit_their_endpoint_before_or_after_the_work() {
    let mut sim = Simulator::new(fast());
    let (token, sid) = connect(&mut sim);
    let credits = |sim: &mut Simulator| credits_with(sim, &token);
    // Aimed at one endpoint: the others are untouched, and it fires `times` times.
    sim.set_faults(call_fault("credits", json!(503), 2));
    let state = format!("/api/state/nemo_agent/me/{sid}/latest");
    assert_eq!(
        sim.handle(&req("GET", &state, Some(&token), None)).status,
        200
    );
    assert_eq!(
        [
            credits(&mut sim).status,
            credits(&mut sim).status,
            credits(&mut sim).status
        ],
        [503, 503, 200]
    );
    let codes = [
        (json!(400), 400, 400),
        (json!(429), 429, 429),
        (json!(2001), 200, 2001),
        (json!(4002), 200, 4002),
        (json!(402), 402, 402),
    ];
    for (fault, status, code) in codes {
        sim.set_faults(call_fault("credits", fault, 1));
        let r = credits(&mut sim);
        let body: Value = serde_json::from_slice(&bytes(&r)).unwrap();
        assert_eq!((r.status, body["code"].as_i64()), (status, Some(code)));
    }
    // 1001 expires the token for real; 1002 makes the session vanish for real.
    sim.set_faults(call_fault("credits", json!(1001), 1));
    assert_eq!(credits(&mut sim).status, 401);
    assert_eq!(credits(&mut sim).status, 401, "the token stays expired");
    let (token, sid) = connect(&mut sim);
    sim.set_faults(call_fault("state", json!(1002), 1));
    let state = format!("/api/state/nemo_agent/me/{sid}/latest");
    let e = data(&sim.handle(&req("GET", &state, Some(&token), None))).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Session);
    assert!(sim.draft(&sid).is_none(), "the session is gone");
    let (token, _) = connect(&mut sim);
    let credits = |sim: &mut Simulator| credits_with(sim, &token);
    // Before the work: no answer at all, or a gateway's page.
    sim.set_faults(call_fault("credits", json!("lostRequest"), 1));
    assert_eq!(credits(&mut sim).status, 0);
    sim.set_faults(call_fault("credits", json!("wrongContentType"), 1));
    let r = credits(&mut sim);
    assert_eq!(r.headers[0].1, "text/html; charset=utf-8");
    assert!(data(&r).is_err());
    assert_eq!(
        sim.log().last().unwrap().fault.as_deref(),
        Some("wrongContentType")
    );
    // A server echoing the token it was sent: a 503 quoting it, the log naming the fault
    // (and never holding the token).
    sim.set_faults(call_fault("credits", json!("echoToken"), 1));
    let r = credits(&mut sim);
    assert_eq!(r.status, 503);
    assert!(String::from_utf8_lossy(&bytes(&r)).contains(&token));
    let entry = sim.log().last().unwrap();
    assert_eq!(entry.fault.as_deref(), Some("echoToken"));
    assert!(!format!("{entry:?}").contains(&token));
    assert_eq!(credits(&mut sim).status, 200, "one call hit, then none");
    assert_eq!(sim.log().last().unwrap().fault, None);
    // After it: the work is done, its answer lost, unreadable or cut short.
    for fault in ["lostAnswer", "malformedJson", "truncated"] {
        sim.set_faults(call_fault("createSession", json!(fault), 1));
        let before = sim.sessions.map_len();
        let r = sim.handle(&req(
            "POST",
            "/api/tasks/me/with-session/nemo_agent",
            Some(&token),
            Some(json!({"task_name": "project", "language": "en"})),
        ));
        assert_eq!(
            sim.sessions.map_len(),
            before + 1,
            "{fault}: the session was made"
        );
        assert!(r.status == 0 || data(&r).is_err(), "{fault}");
    }
    // A chat's stream faults, each with the edit applied before the stream fails.
    let edit = "make a video of a forest";
    let plan = |sim: &mut Simulator, fault: &str| {
        // A new session each time, so the message is an edit each time.
        let (token, sid) = connect(sim);
        sim.set_faults(call_fault("chat", json!(fault), 1));
        chat(sim, &token, &sid, edit)
    };
    let (r, events, _) = plan(&mut sim, "dropAtStart");
    assert_eq!((r.body.as_slice(), events.len()), (&[Step::Fail][..], 0));
    let (r, events, _) = plan(&mut sim, "dropAfterText");
    assert_eq!(r.body.last(), Some(&Step::Fail));
    assert_eq!(events.len(), 1, "one event, then the drop");
    let (r, _, summary) = plan(&mut sim, "dropAfterTool");
    assert_eq!(r.body.last(), Some(&Step::Fail));
    assert!(summary.ran_tool, "the tool ran first");
    let (r, _, summary) = plan(&mut sim, "dropAtEnd");
    assert_eq!(r.body.last(), Some(&Step::Fail));
    assert!(!summary.messages.is_empty() && summary.ran_tool);
    let (r, _, summary) = plan(&mut sim, "truncated");
    assert!(!r.body.contains(&Step::Fail), "it ends cleanly");
    assert!(summary.truncated_bytes > 0, "inside its second event");
    let (_, events, summary) = plan(&mut sim, "malformedJson");
    assert!(
        events
            .iter()
            .all(|e| matches!(e, StreamEvent::Quiet | StreamEvent::Heartbeat)),
        "{events:?}"
    );
    assert!(summary.messages.is_empty());
    let (r, _, summary) = plan(&mut sim, "slow");
    assert!(
        r.body
            .iter()
            .all(|s| matches!(s, Step::Wait(7) | Step::Bytes(_)))
    );
    assert!(!summary.messages.is_empty());
    let (r, _, _) = plan(&mut sim, "heartbeatsOnly");
    assert!(matches!(r.body[..], [Step::Forever { .. }]));
    // stateDelta: always or never, instead of the generator's coin.
    for always in [true, false] {
        sim.opts.state_delta = Some(always);
        let (_, _, summary) = plan(&mut sim, "dropAtEnd");
        assert_eq!(summary.draft_delta.is_some(), always);
    }
    let (token, sid) = connect(&mut sim);
    sim.set_faults(call_fault("chat", json!("lostAnswer"), 1));
    let turns = sim.turns;
    assert_eq!(chat(&mut sim, &token, &sid, edit).0.status, 0);
    assert_eq!(sim.turns, turns + 1, "the turn ran; its answer was lost");
}
