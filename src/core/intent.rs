//! What the user asked for: the seed's routing table, in English and Chinese.
//!
//! Owns: [`classify`], user text → [`Intent`]. The four direct intents (export, credits, state,
//! upload) skip the chat agent; everything else is a chat turn. A keyword only routes when it
//! is the request itself:
//!
//! - English keywords match whole words: "exported yesterday's clip had a glitch" is not an
//!   export, "I uploaded a logo" is not an upload.
//! - A message that asks for a change (an edit verb such as "add", "make", "change", 添加,
//!   修改) is a chat turn even if it names an intent: "add a credits roll at the end", "make it
//!   brighter and export" (the agent edits; it may then offer the export).
//! - A negated request ("don't export yet", 先别导出) is a chat turn.
//! - A long message (more than 12 words) is a description for the agent, not a command.
//!
//! Order when several match: export, credits, state, upload (the seed's table order).
//!
//! Does not own: files sent with the text (the client routes those to upload itself).

/// Where a message goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Intent {
    /// Export and download the video.
    Export,
    /// Show the credit balance.
    Credits,
    /// Show the session state / timeline.
    State,
    /// Upload media.
    Upload,
    /// Send to the chat agent.
    Chat,
}

impl Intent {
    /// The stable name JS sees.
    pub fn as_str(self) -> &'static str {
        match self {
            Intent::Export => "export",
            Intent::Credits => "credits",
            Intent::State => "state",
            Intent::Upload => "upload",
            Intent::Chat => "chat",
        }
    }
}

const MAX_COMMAND_WORDS: usize = 12;

/// One row of the routing table.
struct Route {
    intent: Intent,
    /// English whole words.
    words: &'static [&'static str],
    /// English phrases (word sequences).
    phrases: &'static [&'static str],
    /// Chinese substrings.
    zh: &'static [&'static str],
}

const TABLE: &[Route] = &[
    Route {
        intent: Intent::Export,
        words: &["export", "download"],
        phrases: &[
            "send me the video",
            "send me the mp4",
            "send me the file",
            "give me the video",
        ],
        zh: &["导出", "下载"],
    },
    Route {
        intent: Intent::Credits,
        words: &["credits", "credit", "balance"],
        phrases: &[],
        zh: &["积分", "余额"],
    },
    Route {
        intent: Intent::State,
        words: &["status"],
        phrases: &[
            "show tracks",
            "show the tracks",
            "show me the tracks",
            "show timeline",
            "show the timeline",
            "show me the timeline",
        ],
        zh: &["状态", "显示轨道", "查看轨道", "时间线"],
    },
    Route {
        intent: Intent::Upload,
        words: &["upload"],
        phrases: &[],
        zh: &["上传"],
    },
];

/// Words that make a message a change request for the agent.
const EDIT_WORDS: &[&str] = &[
    "add", "make", "change", "create", "generate", "turn", "convert", "remove", "delete",
    "replace", "insert", "put", "cut", "trim", "edit", "fix", "set", "move", "increase",
    "decrease", "lower", "raise", "apply", "mute", "speed", "slow", "shorten", "lengthen", "swap",
    "use", "include",
];
const EDIT_ZH: &[&str] = &[
    "添加",
    "加上",
    "加入",
    "增加",
    "生成",
    "制作",
    "做一个",
    "修改",
    "改成",
    "改为",
    "删除",
    "删掉",
    "替换",
    "剪辑",
    "裁剪",
    "换成",
    "调整",
    "去掉",
];
const NEGATION_WORDS: &[&str] = &[
    "don't", "dont", "do not", "not", "never", "without", "no need",
];
const NEGATION_ZH: &[&str] = &["不要", "别", "不用", "先不", "无需"];

/// Whether `c` belongs in a word: ASCII letters and digits, and any non-ASCII character but
/// CJK ones (which stand alone). ASCII rules are enough for the keywords, which are English or
/// Chinese, and keep Unicode's case and class tables out of the wasm.
pub(crate) fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || (!c.is_ascii() && !is_cjk(c))
}

/// Lower-case words: runs of letters, digits and apostrophes (’ folded to ').
fn words(text: &str) -> Vec<String> {
    text.to_ascii_lowercase()
        .replace('’', "'")
        .split(|c: char| !(is_word_char(c) || c == '\'') || is_cjk(c))
        .filter(|w| !w.is_empty())
        .map(|w| w.trim_matches('\'').to_owned())
        .filter(|w| !w.is_empty())
        .collect()
}

fn is_cjk(c: char) -> bool {
    matches!(c as u32, 0x3000..=0x9FFF | 0xF900..=0xFAFF | 0xFF00..=0xFFEF)
}

/// Whether the word sequence `phrase` (space-separated) occurs in `ws`.
fn has_phrase(ws: &[String], phrase: &str) -> bool {
    let p: Vec<&str> = phrase.split(' ').collect();
    ws.windows(p.len())
        .any(|w| w.iter().zip(&p).all(|(a, b)| a == b))
}

/// Routes a user message.
pub fn classify(text: &str) -> Intent {
    let ws = words(text);
    let lower = text.to_ascii_lowercase();
    let has_word = |w: &str| {
        if w.contains(' ') {
            has_phrase(&ws, w)
        } else {
            ws.iter().any(|x| x == w)
        }
    };
    if ws.len() > MAX_COMMAND_WORDS
        || EDIT_WORDS.iter().any(|w| has_word(w))
        || EDIT_ZH.iter().any(|w| lower.contains(w))
        || NEGATION_WORDS.iter().any(|w| has_word(w))
        || NEGATION_ZH.iter().any(|w| lower.contains(w))
    {
        return Intent::Chat;
    }
    for route in TABLE {
        if route.words.iter().any(|w| has_word(w))
            || route.phrases.iter().any(|p| has_phrase(&ws, p))
            || route.zh.iter().any(|z| lower.contains(z))
        {
            return route.intent;
        }
    }
    Intent::Chat
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_table_english_and_chinese() {
        let cases = [
            ("export", Intent::Export),
            ("Export the video please", Intent::Export),
            ("导出", Intent::Export),
            ("帮我导出视频", Intent::Export),
            ("download", Intent::Export),
            ("Can you send me the video?", Intent::Export),
            ("credits", Intent::Credits),
            ("How many credits do I have left?", Intent::Credits),
            ("积分", Intent::Credits),
            ("balance", Intent::Credits),
            ("我的余额是多少", Intent::Credits),
            ("status", Intent::State),
            ("状态", Intent::State),
            ("show tracks", Intent::State),
            ("Show me the timeline", Intent::State),
            ("upload", Intent::Upload),
            ("上传", Intent::Upload),
            ("I want to upload a clip", Intent::Upload),
            (
                "make a 30-second city timelapse with lo-fi music",
                Intent::Chat,
            ),
            ("generate a video about cats", Intent::Chat),
            ("add BGM", Intent::Chat),
        ];
        for (text, want) in cases {
            assert_eq!(classify(text), want, "{text}");
        }
    }

    #[test]
    fn whole_words_and_edit_requests() {
        let cases = [
            ("exported yesterday's clip had a glitch at 3s", Intent::Chat),
            ("I uploaded a logo earlier", Intent::Chat),
            ("add a credits roll at the end", Intent::Chat),
            ("make it brighter and export", Intent::Chat),
            ("don't export yet", Intent::Chat),
            ("Don’t download anything", Intent::Chat),
            ("先别导出", Intent::Chat),
            ("把导出的片段加上字幕", Intent::Chat),
            ("downloads", Intent::Chat),
            ("EXPORT", Intent::Export),
            ("export!", Intent::Export),
            ("把视频导出", Intent::Export),
            (
                "the export I did yesterday looked washed out and the music was far too loud overall",
                Intent::Chat,
            ),
            ("", Intent::Chat),
        ];
        for (text, want) in cases {
            assert_eq!(classify(text), want, "{text}");
        }
    }

    #[test]
    fn order_when_several_match() {
        assert_eq!(classify("check my balance then export"), Intent::Export);
        assert_eq!(classify("status and credits"), Intent::Credits);
    }

    #[test]
    fn names() {
        assert_eq!(Intent::State.as_str(), "state");
        assert_eq!(Intent::Chat.as_str(), "chat");
    }
}
