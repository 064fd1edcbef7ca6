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
}

/// A message as it travels: `kind=request`, `kind=signed-out`, or `kind=tokens&` and the set.
fn encode(message: &TabMessage) -> String {
    match message {
        TabMessage::Request => "kind=request".to_owned(),
        TabMessage::Tokens { tokens } => format!("kind=tokens&{}", tokens.encode()),
        TabMessage::SignedOut { session } => record::encode([("kind", "signed-out"), ("session", session)]),
    }
}

fn decode(text: &str) -> Option<TabMessage> {
    match Record::decode(text).get("kind")? {
        "request" => Some(TabMessage::Request),
        "tokens" => {
            parse_token_set(text, json::parse).ok().map(|tokens| TabMessage::Tokens { tokens: Box::new(tokens) })
        }
        "signed-out" => Some(TabMessage::SignedOut { session: Record::decode(text).string("session")? }),
        _ => None,
    }
}

/// An open channel; messages that do not parse are ignored.
pub struct TabChannel {
    channel: BroadcastChannel,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
}

impl TabChannel {
    /// Opens the channel and calls `on_message` for each message from another tab; what it
    /// returns is posted back as the answer.
    pub fn open(mut on_message: impl FnMut(TabMessage) -> Option<TabMessage> + 'static) -> Option<TabChannel> {
        let channel = BroadcastChannel::new(CHANNEL_NAME).ok()?;
        let replies = channel.clone();
        let handler = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            let message = event.data().as_string().as_deref().and_then(decode);
            if let Some(reply) = message.and_then(&mut on_message) {
                post(&replies, &reply);
            }
        });
        channel.set_onmessage(Some(handler.as_ref().unchecked_ref()));
        Some(TabChannel { channel, _on_message: handler })
    }

    /// Sends a message to every other tab of this origin.
    pub fn post(&self, message: &TabMessage) {
        post(&self.channel, message);
    }
}

fn post(channel: &BroadcastChannel, message: &TabMessage) {
    let _ = channel.post_message(&encode(message).into());
}
