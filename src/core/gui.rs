//! The backend writes as if the user had its GUI; this module finds those phrases.
//!
//! Owns: [`detect`], agent text → the [`GuiAction`]s the client performs instead (the seed's
//! "Backend Response Translation" table):
//!
//! | agent says                                   | action                         |
//! |----------------------------------------------|--------------------------------|
//! | "click/tap/press [Export/Upload/…] (button)", 点击/单击 | the button's API call |
//! | "open [the … panel/tab/timeline]", 打开       | [`GuiAction::State`]           |
//! | "drag", "drop", 拖拽/拖动                     | [`GuiAction::Edit`]            |
//! | "preview in (the) timeline", 时间线预览        | [`GuiAction::Timeline`]        |
//! | "Export button", 导出按钮, 点击导出            | [`GuiAction::Export`]          |
//!
//! The text itself is shown as the agent wrote it: our example page has real Export, Upload
//! and timeline controls, and the client carries the action out, so rewriting the agent's
//! sentences would only risk garbling them. Detection runs on whole messages, never deltas.
//!
//! Does not own: carrying the action out (the client), deduplication within a turn (`chat.rs`).

use super::intent::{self, Intent};

/// What the client does for a GUI phrase.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum GuiAction {
    /// Run the export workflow.
    Export,
    /// Offer an upload.
    Upload,
    /// Show the credits.
    Credits,
    /// Query the session state (an "open panel" instruction).
    State,
    /// The change is to be described in chat (drag and drop has no API).
    Edit,
    /// Show the track summary ("preview in timeline").
    Timeline,
}

impl GuiAction {
    /// The stable name JS sees in the `action` event.
    pub fn as_str(self) -> &'static str {
        match self {
            GuiAction::Export => "export",
            GuiAction::Upload => "upload",
            GuiAction::Credits => "credits",
            GuiAction::State => "state",
            GuiAction::Edit => "edit",
            GuiAction::Timeline => "timeline",
        }
    }
}

const CLICK_WORDS: &[&str] = &["click", "tap", "press", "hit", "select"];
const PANEL_WORDS: &[&str] = &[
    "panel", "tab", "editor", "timeline", "sidebar", "view", "menu", "library", "window", "project",
];
const DRAG_WORDS: &[&str] = &["drag", "drop", "dragging", "dropping"];
/// How many words after "click"/"open" may name the button or panel.
const REACH: usize = 4;

fn words(text: &str) -> Vec<String> {
    text.to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

fn button_action(label: &str) -> Option<GuiAction> {
    match intent::classify(label) {
        Intent::Export => Some(GuiAction::Export),
        Intent::Upload => Some(GuiAction::Upload),
        Intent::Credits => Some(GuiAction::Credits),
        Intent::State => Some(GuiAction::State),
        Intent::Chat => None,
    }
}

/// The actions a whole message asks the (non-existent) GUI user to take, in order, once each.
pub fn detect(text: &str) -> Vec<GuiAction> {
    let mut found: Vec<(usize, GuiAction)> = Vec::new();
    let ws = words(text);
    for (i, w) in ws.iter().enumerate() {
        let after = &ws[i + 1..(i + 1 + REACH).min(ws.len())];
        if CLICK_WORDS.contains(&w.as_str()) {
            // The button's name is the first word after the verb that names an action.
            if let Some(a) = after.iter().find_map(|x| button_action(x)) {
                found.push((i, a));
            }
        } else if w == "open" {
            if after.iter().any(|x| PANEL_WORDS.contains(&x.as_str())) {
                found.push((i, GuiAction::State));
            }
        } else if DRAG_WORDS.contains(&w.as_str()) {
            found.push((i, GuiAction::Edit));
        } else if w == "preview" && after.iter().any(|x| x == "timeline") {
            found.push((i, GuiAction::Timeline));
        } else if w == "button" && i > 0 && ws[i - 1] == "export" {
            found.push((i, GuiAction::Export));
        }
    }
    // Chinese phrases, placed after the English ones by position in the text.
    let base = ws.len();
    let zh: &[(&str, GuiAction)] = &[
        ("点击导出", GuiAction::Export),
        ("单击导出", GuiAction::Export),
        ("导出按钮", GuiAction::Export),
        ("点击上传", GuiAction::Upload),
        ("上传按钮", GuiAction::Upload),
        ("打开", GuiAction::State),
        ("拖拽", GuiAction::Edit),
        ("拖动", GuiAction::Edit),
        ("拖到", GuiAction::Edit),
        ("时间线中预览", GuiAction::Timeline),
        ("时间线预览", GuiAction::Timeline),
        ("在时间线上预览", GuiAction::Timeline),
    ];
    for (phrase, action) in zh {
        if let Some(pos) = text.find(phrase) {
            // 打开导出 ("open export") is the export button, not a panel.
            let action = if *phrase == "打开" && text[pos..].starts_with("打开导出") {
                GuiAction::Export
            } else {
                *action
            };
            found.push((base + pos, action));
        }
    }
    found.sort_by_key(|(pos, _)| *pos);
    let mut out: Vec<GuiAction> = Vec::new();
    for (_, a) in found {
        if !out.contains(&a) {
            out.push(a);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use GuiAction::*;

    #[test]
    fn seed_table() {
        let cases: &[(&str, &[GuiAction])] = &[
            ("Click the Export button to download your video.", &[Export]),
            ("Tap Upload to add your clip.", &[Upload]),
            ("Open the timeline panel to review the cut.", &[State]),
            ("Drag the logo to the top-right corner.", &[Edit]),
            ("You can preview it in the timeline.", &[Timeline]),
            ("Use the Export button when ready.", &[Export]),
            ("请点击导出按钮下载视频", &[Export]),
            ("打开素材面板查看", &[State]),
            ("把音乐拖拽到第二条轨道", &[Edit]),
            ("可以在时间线中预览效果", &[Timeline]),
            ("打开导出面板", &[Export]),
        ];
        for (text, want) in cases {
            assert_eq!(detect(text), want.to_vec(), "{text}");
        }
    }

    #[test]
    fn plain_text_has_no_actions() {
        for text in [
            "I added lo-fi music at 35% volume.",
            "Your video is exported and ready.",
            "Opening scene: a city at night.",
            "I will open with a drone shot of the skyline.",
            "Click-through rates improve with short intros.",
            "",
        ] {
            assert_eq!(detect(text), vec![], "{text}");
        }
    }

    #[test]
    fn several_in_order_once_each() {
        assert_eq!(
            detect(
                "Drag the clip, then preview in timeline, then click Export. Then click Export again."
            ),
            vec![Edit, Timeline, Export]
        );
    }

    #[test]
    fn names() {
        assert_eq!(Timeline.as_str(), "timeline");
        assert_eq!(Edit.as_str(), "edit");
    }
}
