//! The worker's request decisions (`core::proxy`): `decide`, the visitor guards, the headers
//! sent upstream, how an answer passes back, the token scrub and the visitor cookie. The input
//! is a request as lines: method, raw path, host, `Origin`, `Sec-Fetch-Site`,
//! `Content-Length`, `Access-Control-Request-Method` (an empty line: no header), the other
//! headers as `name: value` separated by `|`, then the body.
//!
//! Properties, in anonymous and in server-token mode: a forwarded request goes exactly to the
//! upstream plus the path of a row of the route table (`api::ROUTES`) with checked ids, and
//! only for that row's method, with a POST body within its cap; the guards name only valid ids;
//! only the allowed headers go upstream, and with a server token exactly one `Authorization`,
//! the operator's; a redirect never passes back; the scrub, whole or streamed in any
//! chunking, leaves no token; no refusal quotes the token unless the request did.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nemo_video::core::api::{Lookup, ROUTES, is_valid_id, lookup};
use nemo_video::core::proxy::{
    self, Decision, FORWARDED_HEADERS, Incoming, ProxyConfig, Refusal, Scrubber, visitor,
};
use nemo_video_fuzz::{chunkings, header_lines};
use serde_json::Value;

const TOKEN: &str = "nmv_server_token_5f2c9a";
const SECRET: &str = "a-visitor-secret-of-at-least-32-bytes!";

fn config(server_token: bool) -> ProxyConfig {
    ProxyConfig::from_env(|k| {
        let v = match k {
            "NEMO_API_BASE" => "https://api.example/v1",
            "ALLOWED_ORIGINS" => "https://app.example",
            "MAX_JSON_BYTES" => "4096",
            "NEMO_TOKEN" if server_token => TOKEN,
            "VISITOR_SECRET" if server_token => SECRET,
            _ => return None,
        };
        Some(v.to_owned())
    })
}

fn opt(s: &str) -> Option<&str> {
    (!s.is_empty()).then_some(s)
}

fn no_token(r: &Refusal, input_has_token: bool) {
    if !input_has_token {
        assert!(
            !r.body().contains(TOKEN) && !format!("{r:?}").contains(TOKEN),
            "{r:?}"
        );
    }
}

fuzz_target!(|data: &[u8]| {
    let (l, body) = header_lines(data, 8);
    let headers: Vec<(String, String)> = l[7]
        .split('|')
        .filter_map(|h| h.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let has_token = String::from_utf8_lossy(data).contains(TOKEN);
    let req = Incoming {
        method: &l[0],
        path: &l[1],
        host: &l[2],
        self_origin: "https://proxy.example",
        origin: opt(&l[3]),
        fetch_site: opt(&l[4]),
        content_length: l[5].trim().parse().ok(),
        preflight_method: opt(&l[6]),
    };
    let json: Option<Value> = serde_json::from_str(&body).ok();
    for server_token in [false, true] {
        let cfg = config(server_token);
        assert!(cfg.problems.is_empty(), "{:?}", cfg.problems);
        match proxy::decide(&cfg, &req) {
            Decision::Forward {
                url,
                route,
                ids,
                max_body,
                ..
            } => {
                assert!(ROUTES.iter().any(|r| std::ptr::eq(r, route)));
                assert_eq!(route.method.as_str(), req.method);
                assert!(ids.iter().all(|id| is_valid_id(id)), "{ids:?}");
                let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
                let path = route.path(&ids).expect("checked ids make a path");
                assert_eq!(
                    url,
                    format!("{}{path}", cfg.upstream),
                    "forwarded {:?}",
                    req.path
                );
                assert_eq!(req.path, path, "the raw path is the route's own");
                assert!(
                    matches!(lookup(req.method, &path), Lookup::Found(r, _) if std::ptr::eq(r, route))
                );
                // Only a POST's body is forwarded (the shell sends none for the rest).
                if let (Some(n), "POST") = (req.content_length, req.method) {
                    assert!(n <= max_body);
                }
                match visitor::guards(route.id, &ids, json.as_ref()) {
                    Ok(guards) => {
                        for g in guards {
                            let key = g.key("v");
                            let id = key.split_once(':').map_or("", |(_, id)| id);
                            assert!(is_valid_id(id), "{g:?}");
                        }
                    }
                    Err(r) => {
                        assert_eq!(r.status, 400);
                        no_token(&r, has_token);
                    }
                }
            }
            Decision::Refuse(r) => no_token(&r, has_token),
            Decision::Preflight(_) | Decision::Assets | Decision::Config => {}
        }
        let sent = proxy::forward_headers(&cfg, &headers, server_token.then_some(TOKEN));
        assert!(
            sent.iter()
                .all(|(k, _)| FORWARDED_HEADERS.contains(&k.as_str())),
            "{sent:?}"
        );
        let auth: Vec<&String> = sent
            .iter()
            .filter(|(k, _)| k == "authorization")
            .map(|(_, v)| v)
            .collect();
        if server_token {
            assert_eq!(auth, [&format!("Bearer {TOKEN}")]);
        }
    }
    // How an answer passes back: a redirect never does.
    let status = l[5].trim().parse::<u16>().map_or(200, |s| s % 600);
    for route in &ROUTES {
        let passed = proxy::pass_back(route.kind, status, &l[6]);
        assert_eq!(passed.is_err(), (300..400).contains(&status));
        let _ = visitor::after_answer(route.id, status, &body)
            .map(|g| assert!(is_valid_id(g.key("v").split_once(':').unwrap().1)));
    }
    // The scrub: whole, and streamed in every chunking, the same bytes and no token.
    let whole = proxy::scrub(&body, Some(TOKEN));
    assert!(!whole.contains(TOKEN));
    for chunks in chunkings(body.as_bytes(), 3) {
        let mut s = Scrubber::new(TOKEN);
        let mut out = Vec::new();
        for c in chunks {
            out.extend(s.push(c));
        }
        out.extend(s.finish());
        assert_eq!(out, whole.as_bytes());
    }
    // The visitor cookie: only a signature under the secret names a visitor.
    let cookie = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("cookie"))
        .map(|(_, v)| v.as_str());
    if let Some(id) = visitor::verify(SECRET, cookie) {
        assert_eq!(id.len(), 32);
        assert!(cookie.unwrap_or("").contains(&visitor::sign(SECRET, &id)));
    }
});
