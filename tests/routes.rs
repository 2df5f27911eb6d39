//! The route table walked row by row: each row is requested by the client (an `Endpoint`
//! builds exactly that method and path), allowed by the worker's proxy (forwarded as that
//! row) and answered by the simulator (a real answer, not its "unknown endpoint").
#![cfg(all(not(target_arch = "wasm32"), feature = "simulator"))]

use nemo_video::core::api::{
    ApiConfig, Auth, Body, Endpoint, HttpRequest, Lookup, ROUTES, RouteId, Token, lookup,
};
use nemo_video::core::proxy::{self, Decision, Incoming, ProxyConfig};
use nemo_video::sim::{SimBody, SimOptions, SimRequest, Simulator};

const SID: &str = "7350000000000000001";
const RID: &str = "render_1700000000000";

/// One request the client makes for each route (the match is exhaustive: a new row needs one).
fn endpoint(id: RouteId, sid: &str) -> Endpoint<'_> {
    match id {
        RouteId::AnonymousToken => Endpoint::AnonymousToken,
        RouteId::CreateSession => Endpoint::CreateSession { language: "en" },
        RouteId::Chat => Endpoint::Chat {
            session_id: sid,
            text: "make a 30-second city timelapse",
        },
        RouteId::Upload => Endpoint::UploadFiles { session_id: sid },
        RouteId::Credits => Endpoint::Credits,
        RouteId::State => Endpoint::State { session_id: sid },
        RouteId::Export => Endpoint::Export {
            render_id: RID,
            session_id: sid,
            draft_json: r#"{"t":[]}"#,
        },
        RouteId::ExportStatus => Endpoint::ExportStatus { render_id: RID },
        RouteId::Download => Endpoint::Download { render_id: RID },
        RouteId::CancelExport => Endpoint::CancelExport { render_id: RID },
    }
}

fn client_request(id: RouteId) -> HttpRequest {
    request_as(id, "nmv_usr_test", SID)
}

fn request_as(id: RouteId, token: &str, sid: &str) -> HttpRequest {
    let token = Token::new(token).unwrap();
    let cfg = ApiConfig {
        base_url: "http://sim.test".into(),
        ..ApiConfig::default()
    };
    cfg.request(
        &endpoint(id, sid),
        Auth {
            token: Some(&token),
            client_id: Some("client-1"),
        },
    )
    .unwrap_or_else(|e| panic!("{id:?}: {e}"))
}

#[test]
fn every_route_is_requested_by_the_client() {
    for route in &ROUTES {
        let req = client_request(route.id);
        let path = req.url.strip_prefix("http://sim.test").unwrap();
        assert_eq!(req.method, route.method, "{:?}", route.id);
        let Lookup::Found(found, _) = lookup(req.method.as_str(), path) else {
            panic!("{:?}: {path} is no route", route.id)
        };
        assert_eq!(found.id, route.id, "{path}");
        assert_eq!(
            req.headers.iter().any(|(k, _)| *k == "Authorization"),
            route.authorized,
            "{:?}",
            route.id
        );
    }
}

#[test]
fn every_route_is_allowed_by_the_proxy() {
    let cfg = ProxyConfig::default();
    for route in &ROUTES {
        let req = client_request(route.id);
        let path = req.url.strip_prefix("http://sim.test").unwrap();
        let incoming = Incoming {
            method: req.method.as_str(),
            path,
            self_origin: "https://worker.example",
            origin: Some("https://worker.example"),
            content_length: Some(10),
            ..Incoming::default()
        };
        match proxy::decide(&cfg, &incoming) {
            Decision::Forward { route: r, url, .. } => {
                assert_eq!(r.id, route.id);
                assert_eq!(url, format!("{}{path}", cfg.upstream));
            }
            other => panic!("{:?} {path}: {other:?}", route.id),
        }
    }
}

/// The client's request, as the simulator receives it.
fn sim_request(req: HttpRequest) -> SimRequest {
    SimRequest {
        method: req.method.as_str().to_owned(),
        origin: "http://sim.test".into(),
        path: req.url.strip_prefix("http://sim.test").unwrap().to_owned(),
        headers: req
            .headers
            .iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), v.clone()))
            .collect(),
        body: match req.body {
            Body::Json(text) => SimBody::Text(text),
            Body::Empty | Body::Multipart => SimBody::None,
        },
    }
}

fn json_of(r: &nemo_video::sim::SimResponse) -> serde_json::Value {
    let bytes: Vec<u8> = r
        .body
        .iter()
        .flat_map(|s| match s {
            nemo_video::sim::plan::Step::Bytes(b) => b.clone(),
            _ => Vec::new(),
        })
        .collect();
    serde_json::from_slice(&bytes).unwrap_or_default()
}

#[test]
fn every_route_is_answered_by_the_simulator() {
    let mut sim = Simulator::new(SimOptions::default());
    // Connected as the client would be, so each request reaches its route's handler.
    let grant = sim.handle(&sim_request(request_as(RouteId::AnonymousToken, "x", SID)));
    let mut token = json_of(&grant)["data"]["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let session = sim.handle(&sim_request(request_as(
        RouteId::CreateSession,
        &token,
        SID,
    )));
    let sid = json_of(&session)["data"]["session_id"]
        .as_str()
        .unwrap()
        .to_owned();
    for route in &ROUTES {
        let answer = sim.handle(&sim_request(request_as(route.id, &token, &sid)));
        if route.id == RouteId::AnonymousToken {
            // A new token for the same client id replaces the old one.
            token = json_of(&answer)["data"]["token"]
                .as_str()
                .unwrap()
                .to_owned();
        }
        let entry = sim.log().last().unwrap();
        assert!(
            !entry.problems.iter().any(|p| p == "unknown endpoint") && entry.status != 404,
            "{:?}: {entry:?}",
            route.id
        );
        assert_eq!(entry.auth, if route.authorized { "valid" } else { "none" });
    }
    // A path that is no row is not answered as one (authenticated first, as every path but
    // the anonymous-token call is).
    let mut admin = sim_request(request_as(RouteId::Credits, &token, &sid));
    admin.path = "/api/admin".into();
    sim.handle(&admin);
    assert!(
        sim.log()
            .last()
            .unwrap()
            .problems
            .contains(&"unknown endpoint".to_owned())
    );
}
