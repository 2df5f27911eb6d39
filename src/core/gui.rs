//! The backend writes as if the user had its GUI; this module finds those phrases.
//!
//! Owns: [`detect`], agent text → the [`GuiAction`]s the client performs instead (the seed's
//! "Backend Response Translation" table), [`translate`], the same text as the user reads it
//! (each clause that gives a GUI instruction replaced by what the client does instead), and
//! [`edit_requests`], the chat request equivalent to a drag-and-drop instruction (the seed:
//! "drag/drop → send edit via SSE"):
//!
//! | agent says                                   | action                         |
//! |----------------------------------------------|--------------------------------|
//! | "click/tap/press [Export/Upload/…] (button)", 点击/单击 [导出/上传/…] | the button's API call |
//! | "open [the … panel/tab/timeline]", 打开       | [`GuiAction::State`]           |
//! | "drag", "drop", 拖拽/拖动                     | [`GuiAction::Edit`]            |
//! | "preview in (the) timeline", 时间线预览        | [`GuiAction::Timeline`]        |
//! | "Export button", 导出 (not 已导出)             | [`GuiAction::Export`]          |
//!
//! Translation works clause by clause (a clause ends at `.!?;,` or their Chinese forms or a
//! line end): a clause with an instruction becomes the client's own sentence for each of its
//! actions, in the clause's language; every other clause is kept byte for byte. Detection
//! and translation run on whole messages, never deltas (the whole message replaces them).
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
    text.to_ascii_lowercase()
        .split(|c: char| !super::intent::is_word_char(c))
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
    // 点击 [label]: the label's action, as for "click [label]".
    for verb in ["点击", "单击", "点一下"] {
        for (pos, _) in text.match_indices(verb) {
            let label: String = text[pos + verb.len()..].chars().take(REACH + 2).collect();
            if let Some(a) = button_action(&label) {
                found.push((base + pos, a));
            }
        }
    }
    // Plain 导出 ("export") is the export button, as the seed's table says; 已导出 ("was
    // exported") is news, not an instruction.
    for (pos, _) in text.match_indices("导出") {
        if !text[..pos].ends_with('已') {
            found.push((base + pos, GuiAction::Export));
        }
    }
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

/// Where clauses end.
const CLAUSE_ENDS: &[char] = &[
    '.', '!', '?', ';', ',', '。', '！', '？', '；', '，', '、', '\n',
];

/// The text's clauses, each with its terminator; together they are the whole text.
fn clauses(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, c) in text.char_indices() {
        if CLAUSE_ENDS.contains(&c) {
            let end = i + c.len_utf8();
            out.push(&text[start..end]);
            start = end;
        }
    }
    if start < text.len() {
        out.push(&text[start..]);
    }
    out
}

fn is_chinese(text: &str) -> bool {
    text.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
}

/// What the client says it does instead of the GUI instruction.
fn client_sentence(action: GuiAction, chinese: bool) -> &'static str {
    match (action, chinese) {
        (GuiAction::Export, false) => "I'll export the video for you.",
        (GuiAction::Export, true) => "我来为你导出视频。",
        (GuiAction::Upload, false) => "Send me the file and I'll upload it.",
        (GuiAction::Upload, true) => "把文件发给我，我来上传。",
        (GuiAction::Credits, false) => "I'll check your credits.",
        (GuiAction::Credits, true) => "我来查看你的积分。",
        (GuiAction::State, false) => "I'll check the project's current state.",
        (GuiAction::State, true) => "我来查看项目的当前状态。",
        (GuiAction::Edit, false) => "I'll ask the agent to make that change.",
        (GuiAction::Edit, true) => "我来请智能体完成这个修改。",
        (GuiAction::Timeline, false) => "I'll show the track summary.",
        (GuiAction::Timeline, true) => "我来展示轨道摘要。",
    }
}

/// The message as the user reads it: each clause that gives a GUI instruction is replaced by
/// the client's sentence for what it does instead; all else is kept as written.
pub fn translate(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for clause in clauses(text) {
        let actions = detect(clause);
        if actions.is_empty() {
            out.push_str(clause);
            continue;
        }
        let body = clause.trim_start();
        out.push_str(&clause[..clause.len() - body.len()]);
        let chinese = is_chinese(clause);
        let said: Vec<&str> = actions
            .iter()
            .map(|a| client_sentence(*a, chinese))
            .collect();
        out.push_str(&said.join(if chinese { "" } else { " " }));
        if clause.ends_with('\n') {
            out.push('\n');
        }
    }
    out
}

/// Replaces whole words (ASCII, case-insensitive) of `from` by `to`.
fn replace_word(text: &str, from: &str, to: &str) -> String {
    let lower = text.to_ascii_lowercase();
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for (i, _) in lower.match_indices(from) {
        let before = lower[..i].chars().next_back();
        let after = lower[i + from.len()..].chars().next();
        let boundary = |c: Option<char>| c.is_none_or(|c| !c.is_alphanumeric());
        if i >= at && boundary(before) && boundary(after) {
            out.push_str(&text[at..i]);
            out.push_str(to);
            at = i + from.len();
        }
    }
    out.push_str(&text[at..]);
    out
}

/// The chat requests equivalent to the message's drag-and-drop instructions, one per clause
/// that gives one: the clause with the GUI verb made the edit ("Drag the logo to the corner"
/// → "Move the logo to the corner").
pub fn edit_requests(text: &str) -> Vec<String> {
    clauses(text)
        .into_iter()
        .filter(|c| detect(c).contains(&GuiAction::Edit))
        .map(|c| {
            let mut r = c.trim().trim_end_matches([',', '，', ';', '；']).to_owned();
            for (from, to) in [
                ("drag and drop", "move"),
                ("drag-and-drop", "move"),
                ("dragging", "moving"),
                ("dropping", "putting"),
                ("drag", "move"),
                ("drop", "put"),
            ] {
                r = replace_word(&r, from, to);
            }
            for (from, to) in [
                ("拖拽到", "移到"),
                ("拖拽", "移动"),
                ("拖动", "移动"),
                ("拖到", "移到"),
            ] {
                r = r.replace(from, to);
            }
            let mut cs = r.chars();
            match cs.next() {
                Some(first) => std::iter::once(first.to_ascii_uppercase())
                    .chain(cs)
                    .collect(),
                None => r,
            }
        })
        .filter(|r| !r.is_empty())
        .collect()
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
    fn plain_click_and_export_in_chinese() {
        assert_eq!(detect("视频好了，点击导出即可下载"), vec![Export]);
        assert_eq!(detect("点击上传添加素材"), vec![Upload]);
        assert_eq!(detect("完成后可以导出视频"), vec![Export]);
        assert_eq!(detect("视频已导出"), vec![]);
    }

    #[test]
    fn the_user_reads_the_translation() {
        assert_eq!(
            translate("Done! Preview it in the timeline, and click Export when you're ready."),
            "Done! I'll show the track summary. I'll export the video for you."
        );
        assert_eq!(
            translate("Added the logo. Drag the logo to the top-right corner."),
            "Added the logo. I'll ask the agent to make that change."
        );
        assert_eq!(
            translate("视频已经完成，点击导出即可下载。"),
            "视频已经完成，我来为你导出视频。"
        );
        assert_eq!(
            translate("I added lo-fi music at 0.35 volume."),
            "I added lo-fi music at 0.35 volume."
        );
        // Every seed phrase is translated away.
        for (text, gone) in [
            ("Click the Export button to download.", "Click"),
            ("Open the timeline panel to review.", "Open"),
            ("Drag the clip to track 2.", "Drag"),
            ("You can preview it in the timeline.", "preview"),
            ("Use the Export button when ready.", "button"),
            ("请点击导出按钮。", "点击"),
            ("打开素材面板。", "打开"),
            ("把音乐拖拽到第二条轨道。", "拖拽"),
            ("可以在时间线中预览效果。", "预览"),
            ("然后导出。", "然后"),
        ] {
            assert!(
                !translate(text).contains(gone),
                "{text} → {}",
                translate(text)
            );
        }
    }

    #[test]
    fn a_drag_becomes_the_request() {
        assert_eq!(
            edit_requests("Added the logo. Drag the logo to the top-right corner."),
            vec!["Move the logo to the top-right corner."]
        );
        assert_eq!(
            edit_requests("drag and drop the intro after the title, then export"),
            vec!["Move the intro after the title"]
        );
        assert_eq!(
            edit_requests("把音乐拖拽到第二条轨道。"),
            vec!["把音乐移到第二条轨道。"]
        );
        assert!(edit_requests("Click Export.").is_empty());
    }

    #[test]
    fn names() {
        assert_eq!(Timeline.as_str(), "timeline");
        assert_eq!(Edit.as_str(), "edit");
    }
}
