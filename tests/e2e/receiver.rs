//! A webhook receiver for the tests: a real HTTP server on 127.0.0.1 that records every
//! request and answers as it was told: a status, a redirect, or 200 after a while.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use serde_json::Value;

/// One request received.
#[derive(Debug, Clone)]
pub struct Received {
    pub headers: http::HeaderMap,
    pub body: String,
    pub at: Instant,
}

impl Received {
    pub fn id(&self) -> &str {
        self.headers["webhook-id"].to_str().unwrap()
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap()
    }

    pub fn kind(&self) -> String {
        self.json()["type"].as_str().unwrap().to_owned()
    }

    /// Verified with the `standardwebhooks` crate (an independent implementation).
    pub fn verify(&self, secret: &str) {
        standardwebhooks::Webhook::new(secret)
            .expect("a Standard Webhooks secret")
            .verify(self.body.as_bytes(), &self.headers)
            .expect("a valid signature");
    }
}

/// How the receiver answers.
#[derive(Debug, Clone, Copy)]
pub enum Answer {
    Status(u16),
    /// 307 to another address.
    Redirect(&'static str),
    /// 200 after this long.
    Slow(Duration),
}

#[derive(Default)]
struct Shared {
    got: Vec<Received>,
    answer: Option<Answer>,
    in_flight: usize,
    most_in_flight: usize,
}

pub struct Receiver {
    pub url: String,
    shared: Arc<Mutex<Shared>>,
    _server: actix_web::dev::ServerHandle,
}

async fn receive(req: HttpRequest, body: String, shared: web::Data<Mutex<Shared>>) -> HttpResponse {
    let mut headers = http::HeaderMap::new();
    for (name, value) in req.headers() {
        if let (Ok(n), Ok(v)) = (
            http::HeaderName::from_bytes(name.as_str().as_bytes()),
            http::HeaderValue::from_bytes(value.as_bytes()),
        ) {
            headers.append(n, v);
        }
    }
    let answer = {
        let mut s = shared.lock().unwrap();
        s.got.push(Received {
            headers,
            body,
            at: Instant::now(),
        });
        s.in_flight += 1;
        s.most_in_flight = s.most_in_flight.max(s.in_flight);
        s.answer.unwrap_or(Answer::Status(200))
    };
    if let Answer::Slow(wait) = answer {
        tokio::time::sleep(wait).await;
    }
    shared.lock().unwrap().in_flight -= 1;
    match answer {
        Answer::Slow(_) => HttpResponse::Ok().finish(),
        Answer::Status(code) => {
            HttpResponse::build(actix_web::http::StatusCode::from_u16(code).unwrap()).finish()
        }
        Answer::Redirect(to) => HttpResponse::TemporaryRedirect()
            .insert_header(("location", to))
            .finish(),
    }
}

impl Receiver {
    pub async fn start(answer: Answer) -> Self {
        let shared = Arc::new(Mutex::new(Shared {
            answer: Some(answer),
            ..Shared::default()
        }));
        let data = web::Data::from(shared.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .default_service(web::to(receive))
        })
        .workers(1)
        .bind(("127.0.0.1", 0))
        .unwrap();
        let port = server.addrs()[0].port();
        let server = server.run();
        let handle = server.handle();
        tokio::spawn(server);
        Self {
            url: format!("http://127.0.0.1:{port}/hooks"),
            shared,
            _server: handle,
        }
    }

    /// The most requests it held at once.
    pub fn most_in_flight(&self) -> usize {
        self.shared.lock().unwrap().most_in_flight
    }

    pub fn got(&self) -> Vec<Received> {
        self.shared.lock().unwrap().got.clone()
    }

    /// Waits (up to `within`) until `enough` holds of what was received.
    pub async fn wait_for(
        &self, within: Duration, enough: impl Fn(&[Received]) -> bool,
    ) -> Vec<Received> {
        let deadline = Instant::now() + within;
        loop {
            let got = self.got();
            if enough(&got) || Instant::now() > deadline {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}
