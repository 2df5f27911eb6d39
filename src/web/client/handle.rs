//! `handle(text)`: the seed's whole workflow behind one call. The intent (`core::intent`)
//! picks the work; a chat turn's GUI actions (`core::gui`) are carried out after it; the words
//! come from `core::reply`. This module only sequences the calls.

use std::rc::Rc;

use super::export::OnProgress;
use super::{Client, OnEvent};
use crate::core::error::NemoError;
use crate::core::gui::GuiAction;
use crate::core::intent::{self, Intent};
use crate::core::reply;
use crate::web::cancel::Cancel;

/// What to tell the user.
pub(crate) struct Reply {
    /// The intent the text was routed to.
    pub intent: Intent,
    /// The whole message: for a chat, the agent's text, what changed, then the notes.
    pub text: String,
    /// What the client says in its own words beyond the streamed turn: the result of each
    /// action it carried out (for an intent other than chat, the whole message).
    pub notes: Vec<String>,
    /// An action of a successful turn that failed (the agent's "click Export" refused on
    /// the free plan, say): its user message is in `text`, not in `notes`.
    pub error: Option<NemoError>,
    /// The video, when an export finished.
    pub url: Option<String>,
}

impl Client {
    /// Routes `text` by intent and does it; chat events go to `on_event`, the progress of an
    /// export (asked for, or suggested by the agent) to `on_progress`.
    pub async fn handle(
        self: &Rc<Self>,
        text: &str,
        on_event: OnEvent<'_>,
        on_progress: OnProgress<'_>,
        cancel: &Cancel,
    ) -> Result<Reply, NemoError> {
        let intent = intent::classify(text);
        self.connect(cancel, Some(on_event)).await?;
        let mut url = None;
        let said = match intent {
            Intent::Export => {
                let d = self.export(None, on_progress, cancel).await?;
                let t = reply::exported(&d.url);
                url = Some(d.url);
                t
            }
            Intent::Credits => reply::credits(&self.credits(cancel).await?),
            Intent::State => {
                let s = self.state(None, cancel).await?;
                reply::state(&s.summary, s.ready)
            }
            Intent::Upload => reply::upload_prompt(),
            Intent::Chat => {
                let r = self.chat(text, on_event, cancel).await?;
                let mut notes = Vec::new();
                let mut followed = Vec::new();
                let mut error = None;
                for action in &r.actions {
                    match action {
                        // The agent's "click Export": run it; a failure is reported beside the
                        // reply, not thrown, since the turn itself succeeded.
                        GuiAction::Export => match self.export(None, on_progress, cancel).await {
                            Ok(d) => {
                                notes.push(reply::exported(&d.url));
                                url = Some(d.url);
                            }
                            Err(e) => error = Some(e),
                        },
                        GuiAction::State | GuiAction::Timeline => {
                            notes.push(self.state(None, cancel).await?.summary)
                        }
                        // A drag instruction: send the edit as chat (one follow-up turn, whose
                        // own instructions are not followed again).
                        GuiAction::Edit if !r.requests.is_empty() => {
                            let request = r.requests.join(" ");
                            // Streamed like the first turn, so in the reply's text, not its notes.
                            match self.chat(&request, on_event, cancel).await {
                                Ok(next) => {
                                    followed.extend((!next.text.is_empty()).then_some(next.text));
                                    followed.extend(next.changes);
                                }
                                Err(e) if e.is_aborted() => return Err(e),
                                Err(e) => error = Some(e),
                            }
                        }
                        GuiAction::Edit => notes.push(reply::EDIT_HINT.to_owned()),
                        GuiAction::Upload => notes.push(reply::upload_prompt()),
                        GuiAction::Credits => {
                            notes.push(reply::credits(&self.credits(cancel).await?))
                        }
                    }
                }
                let mut said = followed;
                said.extend(notes.iter().cloned());
                said.extend(error.as_ref().map(|e| e.user_message.clone()));
                return Ok(Reply {
                    intent,
                    text: reply::chat(&r.text, r.changes.as_deref(), &said),
                    notes,
                    error,
                    url,
                });
            }
        };
        Ok(Reply {
            intent,
            text: said.clone(),
            notes: vec![said],
            error: None,
            url,
        })
    }
}
