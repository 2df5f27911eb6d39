//! What a turn tells its shell and its user: the durations it runs by, its events, its result,
//! the step the shell takes next, and the sentences it says in its own words.

use serde_json::Value;

use crate::core::error::NemoError;
use crate::core::gui::GuiAction;
use crate::core::sse::DEFAULT_MAX_EVENT_BYTES;

/// Durations and bounds of a turn, all in ms; the defaults are API.md's.
#[derive(Clone, Debug, PartialEq)]
pub struct ChatConfig {
    /// "Still working" period while only heartbeats or silence arrive.
    pub still_working_ms: u64,
    /// Time without a real event (heartbeats do not count) before the turn times out.
    pub idle_timeout_ms: u64,
    /// Time in all before the turn times out.
    pub total_timeout_ms: u64,
    /// First state poll after a dropped stream; later polls at twice this.
    pub drop_poll_ms: u64,
    /// Unchanged polls after a dropped stream before giving up.
    pub drop_max_polls: u32,
    /// Bound on one SSE event.
    pub max_event_bytes: usize,
}

impl Default for ChatConfig {
    fn default() -> Self {
        ChatConfig {
            still_working_ms: 120_000,
            idle_timeout_ms: 600_000,
            total_timeout_ms: 900_000,
            drop_poll_ms: 30_000,
            drop_max_polls: 5,
            max_event_bytes: DEFAULT_MAX_EVENT_BYTES,
        }
    }
}

/// What the user sees during a turn (DESIGN.md's `ChatEvent`).
#[derive(Clone, Debug, PartialEq)]
pub enum ChatEvent {
    /// The client's own progress before the turn ("Connecting..."): emitted by the driver,
    /// never by [`ChatTurn`].
    Status {
        /// What the client is doing.
        text: String,
    },
    /// Agent text: a delta (`partial`) or a whole message replacing its deltas.
    Text {
        /// The text.
        text: String,
        /// A delta to append.
        partial: bool,
    },
    /// "⏳ Still working...": only heartbeats or silence for a while.
    StillWorking {
        /// Time since the message was sent.
        elapsed_ms: u64,
    },
    /// A tool started (for progress, never chat text).
    ToolCall {
        /// Tool name.
        name: String,
    },
    /// A tool finished.
    ToolResult {
        /// Tool name.
        name: String,
    },
    /// What the turn changed in the timeline.
    Changes {
        /// Readable summary.
        summary: String,
    },
    /// A GUI phrase mapped to an action.
    Action {
        /// The action.
        action: GuiAction,
    },
    /// The last event of every turn.
    Done,
}

/// How a turn ended well.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ChatResult {
    /// The turn's messages joined with a blank line.
    pub text: String,
    /// GUI actions, once each, in order.
    pub actions: Vec<GuiAction>,
    /// The chat requests equivalent to the turn's drag-and-drop instructions (the client sends
    /// the edit instead of asking the user to drag).
    pub requests: Vec<String>,
    /// The change summary, when the timeline changed.
    pub changes: Option<String>,
    /// The draft after the turn, when the turn learned it.
    pub draft: Option<Value>,
}

/// What the shell should do now.
#[derive(Clone, Debug, PartialEq)]
pub enum Step {
    /// Keep reading the body; call `on_tick` at [`ChatTurn::poll_timeout`].
    Read,
    /// Fetch the session state, then call `on_state`.
    FetchState,
    /// Nothing until [`ChatTurn::poll_timeout`]; then call `on_tick`.
    Wait,
    /// The turn is over; stop reading (and abort the body if it is still open).
    Finished(Result<ChatResult, NemoError>),
}

/// Text for a silent turn whose state shows no change.
pub const NO_REPLY_NO_CHANGE: &str =
    "The agent finished without a reply, and the timeline did not change.";
/// A dropped turn whose session vanished (1002 on its own poll): it cannot be checked.
pub(super) fn session_gone(e: &NemoError) -> NemoError {
    NemoError {
        retryable: false,
        ..e.clone()
    }
    .with_user_message(
        "The connection dropped and the project session expired while the agent was working, \
         so what it did cannot be checked. Your next message starts a new session; send the \
         request again there if you still want it.",
    )
}

/// Told when another call replaced the session while a turn was running.
pub const SESSION_REPLACED: &str = "The project session expired and a new one was started; \
     this reply's work stays in the old session, which it keeps checking.";
/// Text for a silent turn whose state could not be read.
pub const NO_REPLY_UNCHECKED: &str =
    "The agent finished without a reply, and the timeline could not be checked.";
