//! A BroadcastChannel between this app's tabs: hand tokens to a new tab, share sign-in and sign-out.

use serde::{Deserialize, Serialize};
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use web_sys::{BroadcastChannel, MessageEvent};

use crate::auth::session::TokenSet;

const CHANNEL_NAME: &str = "leptos-pkce";

/// What tabs tell each other (externally tagged: an internal tag would pull in serde's buffering).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum TabMessage {
    /// "Does a tab have tokens?" (a new or reloaded tab in `memory` mode).
    Request,
    /// A tab's current tokens, after a request, a sign-in or a refresh.
    Tokens { tokens: TokenSet },
    /// The person signed out in some tab.
    SignedOut,
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
            let message = event.data().as_string().and_then(|json| serde_json::from_str(&json).ok());
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
    if let Ok(json) = serde_json::to_string(message) {
        let _ = channel.post_message(&json.into());
    }
}
