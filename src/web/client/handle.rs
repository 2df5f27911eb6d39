//! `handle(text)`: the seed's whole workflow behind one call. The intent (`core::intent`)
//! picks the work; a chat turn's GUI actions (`core::gui`) are carried out after it; the words
//! come from `core::reply`. This module only sequences the calls.

use std::rc::Rc;

use js_sys::Function;

use super::Inner;
use crate::core::error::NemoError;
use crate::core::gui::GuiAction;
use crate::core::intent::{self, Intent};
use crate::core::reply;
use crate::web::cancel::Cancel;

/// What to tell the user.
pub struct Reply {
    /// The intent the text was routed to.
    pub intent: Intent,
    /// The message.
    pub text: String,
    /// The video, when an export finished.
    pub url: Option<String>,
}

impl Inner {
    /// Routes `text` by intent and does it.
    pub async fn handle(
        self: &Rc<Self>,
        text: &str,
        on_event: Option<&Function>,
        cancel: &Cancel,
    ) -> Result<Reply, NemoError> {
        let intent = intent::classify(text);
        self.connect(cancel, on_event).await?;
        let mut url = None;
        let text = match intent {
            Intent::Export => {
                let d = self.export(None, None, cancel).await?;
                let t = reply::exported(&d.url);
                url = Some(d.url);
                t
            }
            Intent::Credits => reply::credits(&self.credits(cancel).await?),
            Intent::State => {
                let s = self.state(cancel).await?;
                reply::state(&s.summary, s.ready)
            }
            Intent::Upload => reply::upload_prompt(),
            Intent::Chat => {
                let r = self.chat(text, on_event, cancel).await?;
                let mut extra = Vec::new();
                for action in &r.actions {
                    match action {
                        // The agent's "click Export": run it; a failure is said, not thrown,
                        // since the turn itself succeeded.
                        GuiAction::Export => match self.export(None, None, cancel).await {
                            Ok(d) => {
                                extra.push(reply::exported(&d.url));
                                url = Some(d.url);
                            }
                            Err(e) => extra.push(e.user_message),
                        },
                        GuiAction::State | GuiAction::Timeline => {
                            extra.push(self.state(cancel).await?.summary)
                        }
                        GuiAction::Edit => extra.push(reply::EDIT_HINT.to_owned()),
                        GuiAction::Upload => extra.push(reply::upload_prompt()),
                        GuiAction::Credits => {
                            extra.push(reply::credits(&self.credits(cancel).await?))
                        }
                    }
                }
                reply::chat(&r.text, r.changes.as_deref(), &extra)
            }
        };
        Ok(Reply { intent, text, url })
    }
}
