//! A browser's `User-Agent` header as a person names it: `Chrome 148 on Linux`, `Firefox 133
//! on macOS`, `Safari 18 on iOS`. The log line of a connected tab and the dashboard's clients
//! table show this rather than the first characters of the header (which all begin with
//! `Mozilla/5.0 (`). A header it does not know is shown whole, up to a word.

/// The browser and its major version, and the system when the header names one.
pub fn describe(user_agent: &str) -> String {
    let Some(browser) = browser(user_agent) else {
        return shortened(user_agent);
    };
    match system(user_agent) {
        Some(system) => format!("{browser} on {system}"),
        None => browser,
    }
}

/// The first product token that names a browser, most specific first (Edge's and Opera's
/// headers also say `Chrome/`; Chrome's also says `Safari/`).
fn browser(ua: &str) -> Option<String> {
    const PRODUCTS: [(&str, &str); 7] = [
        ("Edg/", "Edge"),
        ("OPR/", "Opera"),
        ("HeadlessChrome/", "Headless Chrome"),
        ("Chrome/", "Chrome"),
        ("CriOS/", "Chrome"),
        ("Firefox/", "Firefox"),
        ("FxiOS/", "Firefox"),
    ];
    for (token, name) in PRODUCTS {
        if let Some(version) = version_after(ua, token) {
            return Some(format!("{name} {version}"));
        }
    }
    if ua.contains("Safari/") {
        return Some(match version_after(ua, "Version/") {
            Some(version) => format!("Safari {version}"),
            None => "Safari".to_string(),
        });
    }
    None
}

/// The major version that follows `token` (`Chrome/148.0.1` → `148`).
fn version_after(ua: &str, token: &str) -> Option<String> {
    let at = ua.find(token)? + token.len();
    let major: String = ua[at..].chars().take_while(char::is_ascii_digit).collect();
    (!major.is_empty()).then_some(major)
}

fn system(ua: &str) -> Option<&'static str> {
    const SYSTEMS: [(&str, &str); 8] = [
        ("iPhone", "iOS"),
        ("iPad", "iPadOS"),
        ("Android", "Android"),
        ("CrOS", "ChromeOS"),
        ("Windows", "Windows"),
        ("Mac OS X", "macOS"),
        ("Macintosh", "macOS"),
        ("Linux", "Linux"),
    ];
    SYSTEMS
        .iter()
        .find(|(token, _)| ua.contains(token))
        .map(|&(_, name)| name)
}

/// At most `MAX` characters, cut at a space.
fn shortened(ua: &str) -> String {
    const MAX: usize = 60;
    if ua.chars().count() <= MAX {
        return ua.to_string();
    }
    let cut: String = ua.chars().take(MAX).collect();
    match cut.rfind(' ') {
        Some(space) if space > 0 => format!("{}…", &cut[..space]),
        _ => format!("{cut}…"),
    }
}

#[cfg(test)]
mod tests {
    use super::describe;

    #[test]
    fn browsers_are_named_with_their_major_version_and_system() {
        let cases = [
            (
                "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/148.0.7778.0 Safari/537.36",
                "Chrome 148 on Linux",
            ),
            (
                "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/148.0.0.0 Safari/537.36",
                "Headless Chrome 148 on Linux",
            ),
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.2903.86",
                "Edge 131 on Windows",
            ),
            (
                "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.7; rv:133.0) Gecko/20100101 Firefox/133.0",
                "Firefox 133 on macOS",
            ),
            (
                "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
                "Safari 18 on iOS",
            ),
            (
                "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36",
                "Chrome 131 on Android",
            ),
            ("Chrome/126", "Chrome 126"),
        ];
        for (ua, named) in cases {
            assert_eq!(describe(ua), named, "{ua}");
        }
    }

    #[test]
    fn an_unknown_agent_is_shown_up_to_a_word() {
        assert_eq!(describe("node"), "node");
        let long =
            "SomeTool/1.0 (a very long description of a client that no browser would send here)";
        assert_eq!(
            describe(long),
            "SomeTool/1.0 (a very long description of a client that no…"
        );
    }
}
