//! "Acme shop": a host application with its own users, login and session
//! cookie, whose people chat without registering again.
//!
//! The chat is mounted with an [`Authenticator`] that reads the shop's own
//! cookie: whoever the shop says is logged in is a chat user (created on
//! first sight, under the shop's id for them). The chat's own register,
//! login and logout step aside; the shop's `/login` and `/logout` are used.
//! Logging out of the shop closes that person's chat sockets at once.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};

use messenger_core::{
    ExternalId, HostIdentity, Limits, MemoryStore, Messenger, NewRoom, RoomName, RoomTitle,
    RoomTopic, Username,
};
use messenger_warp::{ApiError, Authenticator, Web, async_trait};
use rand::Rng;
use warp::http::header::{COOKIE, LOCATION, SET_COOKIE};
use warp::http::{HeaderMap, StatusCode};
use warp::reply::Response;
use warp::{Filter, Reply};

/// The shop's session cookie.
pub const SHOP_COOKIE: &str = "acme_session";

/// One of the shop's customers, as its own database knows them.
#[derive(Debug, Clone)]
pub struct Customer {
    /// The shop's primary key.
    pub id: u64,
    /// The name the shop shows (and the chat shows).
    pub name: String,
    password: String,
}

/// The shop's own state: its customers and its logged-in sessions. A real
/// host keeps these in its database; here they live in memory.
#[derive(Debug, Default)]
pub struct Shop {
    customers: Vec<Customer>,
    orders: Vec<Order>,
    sessions: Mutex<HashMap<String, u64>>,
}

impl Shop {
    /// A shop with three demo customers (alice / alice-secret, bob /
    /// bob-secret, carol / carol-secret) and one order, 1001, that bob
    /// sold to alice.
    pub fn demo() -> Self {
        let customer = |id, name: &str| Customer {
            id,
            name: name.to_owned(),
            password: format!("{name}-secret"),
        };
        Self {
            customers: vec![
                customer(1001, "alice"),
                customer(1002, "bob"),
                customer(1003, "carol"),
            ],
            orders: vec![Order {
                id: 1001,
                item: "Blue kettle".into(),
                buyer: 1001,
                seller: 1002,
            }],
            sessions: Mutex::default(),
        }
    }

    fn sessions(&self) -> std::sync::MutexGuard<'_, HashMap<String, u64>> {
        self.sessions.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The customer whose shop session `headers` carry.
    pub fn customer_of(&self, headers: &HeaderMap) -> Option<&Customer> {
        let token = cookie(headers, SHOP_COOKIE)?;
        let id = *self.sessions().get(token)?;
        self.customers.iter().find(|c| c.id == id)
    }

    fn log_in(&self, name: &str, password: &str) -> Option<(String, &Customer)> {
        let customer = self
            .customers
            .iter()
            .find(|c| c.name == name && c.password == password)?;
        let token: String = rand::thread_rng()
            .sample_iter(rand::distributions::Alphanumeric)
            .take(32)
            .map(char::from)
            .collect();
        self.sessions().insert(token.clone(), customer.id);
        Some((token, customer))
    }

    fn log_out(&self, headers: &HeaderMap) -> Option<u64> {
        let token = cookie(headers, SHOP_COOKIE)?;
        self.sessions().remove(token)
    }
}

fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|pair| pair.trim().strip_prefix(name)?.strip_prefix('='))
}

/// The seam: the shop tells the chat who is asking.
struct ShopAuthenticator {
    shop: Arc<Shop>,
    limits: Limits,
}

#[async_trait]
impl Authenticator for ShopAuthenticator {
    async fn identify(&self, headers: &HeaderMap) -> Result<Option<HostIdentity>, ApiError> {
        let Some(customer) = self.shop.customer_of(headers) else {
            return Ok(None);
        };
        Ok(Some(identity(customer, &self.limits)?))
    }
}

fn identity(customer: &Customer, limits: &Limits) -> Result<HostIdentity, ApiError> {
    Ok(HostIdentity {
        external_id: ExternalId::parse(&customer.id.to_string())?,
        username: Username::parse(&customer.name, limits)?,
    })
}

/// An order between two customers; each gets a private chat room of its
/// own, for its buyer and seller only.
#[derive(Debug, Clone)]
pub struct Order {
    /// The shop's order number.
    pub id: u64,
    /// What was sold.
    pub item: String,
    /// The buying customer's id.
    pub buyer: u64,
    /// The selling customer's id.
    pub seller: u64,
}

/// The chat room of an order: `order-{id}`.
pub fn order_room(order: u64) -> String {
    format!("order-{order}")
}

/// Creates the private room of each order, from the shop's own code: no
/// HTTP round trip, and the room creation setting does not apply.
async fn open_order_rooms(shop: &Shop, messenger: &Messenger) -> Result<(), messenger_core::Error> {
    let limits = messenger.config().limits.clone();
    for order in &shop.orders {
        let mut parties = Vec::new();
        for id in [order.buyer, order.seller] {
            if let Some(customer) = shop.customers.iter().find(|c| c.id == id) {
                let identity = identity(customer, &limits).map_err(|e| {
                    messenger_core::Error::Internal(format!("customer {id}: {}", e.message))
                })?;
                parties.push(messenger.host_user(&identity).await?.id);
            }
        }
        messenger
            .create_room(
                None,
                NewRoom {
                    name: RoomName::parse(&order_room(order.id), &limits)?,
                    title: RoomTitle::parse(&format!("Order {}: {}", order.id, order.item))?,
                    topic: RoomTopic::parse(
                        "Questions about this order, between its buyer and seller",
                    )?,
                    private: true,
                },
                &parties,
            )
            .await?;
    }
    Ok(())
}

/// The shop with the chat mounted: its routes, and the chat's [`Web`] (to
/// shut down with).
pub async fn app(
    shop: Arc<Shop>,
) -> Result<
    (
        impl Filter<Extract = (Response,), Error = Infallible> + Clone,
        Web,
    ),
    Box<dyn std::error::Error + Send + Sync>,
> {
    let messenger = Messenger::builder()
        .store(Arc::new(MemoryStore::new()))
        .build()?;
    open_order_rooms(&shop, &messenger).await?;
    let limits = messenger.config().limits.clone();
    let chat = Web::builder(messenger)
        .authenticator(Arc::new(ShopAuthenticator {
            shop: shop.clone(),
            limits,
        }))
        .build();

    let s = shop.clone();
    let home = warp::path::end()
        .and(warp::header::headers_cloned())
        .map(move |h: HeaderMap| {
                        let who = match s.customer_of(&h) {
                Some(c) => {
                    let orders: String = s
                        .orders
                        .iter()
                        .filter(|o| o.buyer == c.id || o.seller == c.id)
                        .map(|o| {
                            format!(
                                "<li>Order {} ({}): <a href=\"/chat/{}\">talk to the {}</a></li>",
                                o.id,
                                o.item,
                                order_room(o.id),
                                if o.buyer == c.id { "seller" } else { "buyer" }
                            )
                        })
                        .collect();
                    format!(
                        "<p>Welcome back, {}. <a href=\"/chat\">Open the customer chat</a>.</p>\
                         <ul>{orders}</ul>\
                         <form method=\"post\" action=\"/logout\"><button>Log out</button></form>",
                        c.name
                    )
                }
                None => "<p><a href=\"/login\">Log in</a> to chat with other customers.</p>"
                    .to_owned(),
            };
            warp::reply::html(format!(
                "<!doctype html><html lang=\"en\"><title>Acme shop</title><h1>Acme shop</h1>{who}</html>"
            ))
            .into_response()
        });
    let login_page = warp::path!("login").and(warp::get()).map(|| {
        warp::reply::html(
            "<!doctype html><html lang=\"en\"><title>Log in · Acme shop</title><h1>Acme shop</h1>\
             <form method=\"post\" action=\"/login\">\
             <label>Name <input name=\"name\" autocomplete=\"username\"></label> \
             <label>Password <input name=\"password\" type=\"password\" autocomplete=\"current-password\"></label> \
             <button>Log in</button></form>\
             <p>Demo customers: alice / alice-secret, bob / bob-secret.</p></html>",
        )
        .into_response()
    });
    let s = shop.clone();
    let login = warp::path!("login")
        .and(warp::post())
        .and(warp::body::content_length_limit(4096))
        .and(warp::body::form::<HashMap<String, String>>())
        .map(move |form: HashMap<String, String>| {
            let field = |k: &str| form.get(k).map(String::as_str).unwrap_or_default();
            match s.log_in(field("name"), field("password")) {
                Some((token, _)) => see_other(
                    "/chat",
                    Some(format!(
                        "{SHOP_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax"
                    )),
                ),
                None => {
                    warp::reply::with_status("wrong name or password", StatusCode::UNAUTHORIZED)
                        .into_response()
                }
            }
        });
    let s = shop;
    let m = chat.messenger().clone();
    let logout = warp::path!("logout")
        .and(warp::post())
        .and(warp::header::headers_cloned())
        .then(move |h: HeaderMap| {
            let (shop, messenger) = (s.clone(), m.clone());
            async move {
                let customer = shop.customer_of(&h).cloned();
                shop.log_out(&h);
                // Their chat sockets close now, not at the next recheck.
                if let Some(c) = customer
                    && let Ok(identity) = identity(&c, &messenger.config().limits)
                    && let Ok(user) = messenger.host_user(&identity).await
                {
                    let _ = messenger.logout_everywhere(user.id).await;
                }
                see_other(
                    "/",
                    Some(format!(
                        "{SHOP_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax"
                    )),
                )
            }
        });

    let shop_routes = home
        .or(login_page)
        .unify()
        .or(login)
        .unify()
        .or(logout)
        .unify();
    // The chat's page, API, socket and assets; its own accounts step aside.
    Ok((shop_routes.or(chat.routes()).unify(), chat))
}

fn see_other(to: &'static str, cookie: Option<String>) -> Response {
    let mut res = warp::reply::with_status(warp::reply(), StatusCode::SEE_OTHER).into_response();
    res.headers_mut()
        .insert(LOCATION, warp::http::HeaderValue::from_static(to));
    if let Some(c) = cookie.and_then(|c| c.parse().ok()) {
        res.headers_mut().insert(SET_COOKIE, c);
    }
    res
}
