//! A BroadcastChannel between this app's tabs: hand tokens to a new tab, share sign-in and sign-out.

use miniserde::{Deserialize, Serialize};
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use web_sys::{BroadcastChannel, MessageEvent};

use crate::auth::json;
use crate::auth::session::TokenSet;

const CHANNEL_NAME: &str = "leptos-pkce";

/// What tabs tell each other.
#[derive(Clone, Debug)]
pub enum TabMessage {
    /// "Does a tab have tokens?" (a new or reloaded tab in `memory` mode).
    Request,
    /// A tab's current tokens, after a request, a sign-in or a refresh.
    Tokens { tokens: TokenSet },
    /// The person signed out in some tab.
    SignedOut,
}

/// A message as it travels: `{"kind": "request" | "tokens" | "signed-out", "tokens": …}`.
#[derive(Serialize, Deserialize)]
struct Wire {
    kind: String,
    tokens: Option<TokenSet>,
}

fn encode(message: &TabMessage) -> String {
    let (kind, tokens) = match message {
        TabMessage::Request => ("request", None),
        TabMessage::Tokens { tokens } => ("tokens", Some(tokens.clone())),
        TabMessage::SignedOut => ("signed-out", None),
    };
    json::to_string(&Wire { kind: kind.to_owned(), tokens })
}

fn decode(text: &str) -> Option<TabMessage> {
    let wire: Wire = json::from_str(text).ok()?;
    match (wire.kind.as_str(), wire.tokens) {
        ("request", _) => Some(TabMessage::Request),
        ("tokens", Some(tokens)) => Some(TabMessage::Tokens { tokens }),
        ("signed-out", _) => Some(TabMessage::SignedOut),
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
