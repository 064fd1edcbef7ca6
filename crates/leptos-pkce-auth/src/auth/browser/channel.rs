//! A BroadcastChannel between this app's tabs: hand tokens to a new tab, share sign-in and sign-out.

use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use web_sys::{BroadcastChannel, MessageEvent};

use super::json;
use crate::auth::record::{self, Record};
use crate::auth::session::{TokenSet, parse_token_set};

const CHANNEL_NAME: &str = "leptos-pkce";

/// What tabs tell each other.
#[derive(Clone, Debug)]
pub enum TabMessage {
    /// "Does a tab have tokens?" (a new or reloaded tab in `memory` mode).
    Request,
    /// A tab's current tokens, after a request, a sign-in or a refresh.
    Tokens { tokens: Box<TokenSet> },
    /// The person signed out of `session` (its [`TokenSet::session`]) in some tab.
    SignedOut { session: String },
    /// "Renew `api`'s token (`None`: the sign-in's own) unless it is no longer `stale`", to the
    /// tab that holds the refresh token (an empty name or token travels as none).
    Renew { api: Option<String>, stale: Option<String> },
}

/// A message as it travels: `kind=request`, `kind=signed-out`, `kind=renew`, or `kind=tokens&`
/// and the set.
fn encode(message: &TabMessage) -> String {
    match message {
        TabMessage::Request => "kind=request".to_owned(),
        TabMessage::Tokens { tokens } => format!("kind=tokens&{}", tokens.encode()),
        // One slice type for both: one copy of the encoder.
        TabMessage::SignedOut { session } => {
            record::encode([("kind", "signed-out"), ("session", session.as_str())].as_slice().iter().copied())
        }
        TabMessage::Renew { api, stale } => {
            let (api, stale) = (api.as_deref().unwrap_or_default(), stale.as_deref().unwrap_or_default());
            record::encode([("kind", "renew"), ("api", api), ("stale", stale)].as_slice().iter().copied())
        }
    }
}

/// A message as it travels, read; `None` when it is none of them.
pub fn decode(text: &str) -> Option<TabMessage> {
    let record = Record::decode(text);
    match record.get("kind")? {
        "request" => Some(TabMessage::Request),
        "tokens" => {
            parse_token_set(text, json::parse).ok().map(|tokens| TabMessage::Tokens { tokens: Box::new(tokens) })
        }
        "signed-out" => Some(TabMessage::SignedOut { session: record.string("session")? }),
        "renew" => {
            let given = |name| record.string(name).filter(|value| !value.is_empty());
            Some(TabMessage::Renew { api: given("api"), stale: given("stale") })
        }
        _ => None,
    }
}

/// An open channel.
pub struct TabChannel {
    channel: BroadcastChannel,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
}

impl TabChannel {
    /// Opens the channel and calls `on_message` with the text of each message from another tab
    /// (for [`decode`]).
    pub fn open(mut on_message: impl FnMut(String) + 'static) -> Option<TabChannel> {
        let channel = BroadcastChannel::new(CHANNEL_NAME).ok()?;
        let handler = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            if let Some(text) = event.data().as_string() {
                on_message(text);
            }
        });
        channel.set_onmessage(Some(handler.as_ref().unchecked_ref()));
        Some(TabChannel { channel, _on_message: handler })
    }

    /// Sends a message to every other tab of this origin.
    pub fn post(&self, message: &TabMessage) {
        let _ = self.channel.post_message(&encode(message).into());
    }
}
