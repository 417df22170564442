//! "Copy as": a request from the page's history as a command a user can paste into a shell —
//! `az rest` (bash), curl (bash) and `Invoke-AzRestMethod` (PowerShell). Pure text, tested
//! natively. Credentials are never copied: `az` and `Invoke-AzRestMethod` fetch their own
//! tokens, curl gets a `$TOKEN` placeholder, and the Data Collector API's SharedKey signature is
//! a `$SIGNATURE` placeholder.

/// A request as the history keeps it: the headers the user sent (the page's own credentials are
/// not among them).
#[derive(Clone, Copy, Debug)]
pub struct Req<'a> {
    pub method: &'a str,
    pub url: &'a str,
    pub headers: &'a [(String, String)],
    pub body: Option<&'a str>,
}

/// Which command to write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    AzRest,
    Curl,
    PowerShell,
}

impl Format {
    pub const ALL: [Format; 3] = [Format::AzRest, Format::Curl, Format::PowerShell];

    pub fn label(self) -> &'static str {
        match self {
            Format::AzRest => "az rest (bash)",
            Format::Curl => "curl (bash)",
            Format::PowerShell => "Invoke-AzRestMethod (PowerShell)",
        }
    }

    pub fn id(self) -> &'static str {
        match self {
            Format::AzRest => "az",
            Format::Curl => "curl",
            Format::PowerShell => "pwsh",
        }
    }
}

pub fn format(f: Format, r: &Req) -> String {
    match f {
        Format::AzRest => az_rest(r),
        Format::Curl => curl(r),
        Format::PowerShell => powershell(r),
    }
}

/// A bash word that stays exactly `s`: single quotes, each `'` written as `'\''`.
pub fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// A PowerShell verbatim string: single quotes, each `'` (and its typographic forms, which
/// PowerShell also reads as quotes) doubled.
pub fn ps_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('\'');
    for c in s.chars() {
        if matches!(c, '\'' | '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}') {
            out.push(c);
        }
        out.push(c);
    }
    out.push('\'');
    out
}

/// How a service authenticates, from the URL's host.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Auth {
    /// Azure Resource Manager or Microsoft Graph: `az rest` knows their token audience.
    Known,
    /// Another Entra audience the tools must be told (`--resource`, `-ResourceId`).
    Audience(&'static str),
    /// The Data Collector API: a SharedKey signature, no token.
    SharedKey,
    /// The token endpoint itself: no credentials at all.
    None,
}

fn host(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    rest.split(['/', '?', '#'])
        .next()
        .unwrap_or("")
        .to_ascii_lowercase()
}

fn auth(url: &str) -> Auth {
    let h = host(url);
    if h.ends_with(".vault.azure.net") {
        Auth::Audience("https://vault.azure.net")
    } else if h == "api.loganalytics.io" || h == "api.loganalytics.azure.com" {
        Auth::Audience("https://api.loganalytics.io")
    } else if h.ends_with(".ods.opinsights.azure.com") {
        Auth::SharedKey
    } else if h == "login.microsoftonline.com" {
        Auth::None
    } else {
        Auth::Known
    }
}

/// The headers worth copying: not `Authorization` (never a real credential) nor the date the
/// signature covers; `Content-Type` only where the tool does not set it itself.
fn headers<'a>(r: &Req<'a>, keep_content_type: bool) -> Vec<(&'a str, &'a str)> {
    r.headers
        .iter()
        .filter(|(k, _)| {
            !k.eq_ignore_ascii_case("authorization")
                && !k.eq_ignore_ascii_case("x-ms-date")
                && (keep_content_type || !k.eq_ignore_ascii_case("content-type"))
        })
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

fn body<'a>(r: &Req<'a>) -> Option<&'a str> {
    r.body.filter(|b| !b.trim().is_empty())
}

/// The Data Collector API's workspace id, from its host (`{customerId}.ods.opinsights…`): a
/// GUID's characters only, since it goes inside double quotes.
fn workspace_of(url: &str) -> String {
    let id = host(url).split('.').next().unwrap_or("").to_string();
    id.chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect()
}

pub fn az_rest(r: &Req) -> String {
    let mut lines = vec![format!(
        "az rest --method {} --url {}",
        r.method.to_ascii_lowercase(),
        sh_quote(r.url)
    )];
    let mut hs: Vec<String> = headers(r, false)
        .iter()
        .map(|(k, v)| sh_quote(&format!("{k}={v}")))
        .collect();
    match auth(r.url) {
        Auth::Known => {}
        Auth::Audience(a) => lines.push(format!("--resource {}", sh_quote(a))),
        Auth::SharedKey => {
            lines.push("--skip-authorization-header".into());
            hs.push(format!(
                "\"Authorization=SharedKey {}:$SIGNATURE\"",
                workspace_of(r.url)
            ));
            hs.push("\"x-ms-date=$DATE\"".into());
        }
        Auth::None => lines.push("--skip-authorization-header".into()),
    }
    if !hs.is_empty() {
        lines.push(format!("--headers {}", hs.join(" ")));
    }
    if let Some(b) = body(r) {
        lines.push(format!("--body {}", sh_quote(b)));
    }
    lines.join(" \\\n  ")
}

pub fn curl(r: &Req) -> String {
    let mut lines = vec![format!(
        "curl -X {} {}",
        r.method.to_ascii_uppercase(),
        sh_quote(r.url)
    )];
    // Double quotes so the shell fills in the placeholder variables.
    match auth(r.url) {
        Auth::Known | Auth::Audience(_) => {
            lines.push("-H \"Authorization: Bearer $TOKEN\"".into());
        }
        Auth::SharedKey => {
            lines.push(format!(
                "-H \"Authorization: SharedKey {}:$SIGNATURE\"",
                workspace_of(r.url)
            ));
            lines.push("-H \"x-ms-date: $DATE\"".into());
        }
        Auth::None => {}
    }
    for (k, v) in headers(r, true) {
        lines.push(format!("-H {}", sh_quote(&format!("{k}: {v}"))));
    }
    if let Some(b) = body(r) {
        lines.push(format!("--data-raw {}", sh_quote(b)));
    }
    lines.join(" \\\n  ")
}

pub fn powershell(r: &Req) -> String {
    let mut out = String::new();
    let extra = headers(r, false);
    // Invoke-AzRestMethod has no parameter for other headers: say which ones the request needs.
    if !extra.is_empty() {
        out.push_str("# Invoke-AzRestMethod sends no custom headers; this request also had:\n");
        for (k, v) in &extra {
            out.push_str(&format!("#   {k}: {v}\n"));
        }
    }
    let auth = auth(r.url);
    if matches!(auth, Auth::SharedKey | Auth::None) {
        out.push_str("# Invoke-AzRestMethod sends an Entra token; this endpoint takes ");
        out.push_str(if auth == Auth::SharedKey {
            "a SharedKey signature instead (use Invoke-RestMethod).\n"
        } else {
            "none (use Invoke-RestMethod).\n"
        });
    }
    let mut parts = vec![format!(
        "Invoke-AzRestMethod -Method {} -Uri {}",
        r.method.to_ascii_uppercase(),
        ps_quote(r.url)
    )];
    if let Auth::Audience(a) = auth {
        parts.push(format!("-ResourceId {}", ps_quote(a)));
    }
    if let Some(b) = body(r) {
        parts.push(format!("-Payload {}", ps_quote(b)));
    }
    out.push_str(&parts.join(" `\n  "));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    /// What bash makes of a single-quoted word: the text between quotes, `'\''` a quote.
    fn sh_unquote(w: &str) -> String {
        w.strip_prefix('\'')
            .and_then(|w| w.strip_suffix('\''))
            .unwrap()
            .replace(r"'\''", "'")
    }

    #[test]
    fn quoting_survives_quotes_dollars_and_newlines() {
        for s in [
            "plain",
            "it's",
            "''",
            r#"{"query": "T | where M has 'x' and N == \"y\""}"#,
            "$TOKEN `whoami` $(rm -rf /) \\ \n !",
        ] {
            let q = sh_quote(s);
            assert_eq!(sh_unquote(&q), s);
            // Inside the quotes, no quote stands alone.
            assert!(
                !q[1..q.len() - 1].replace(r"'\''", "").contains('\''),
                "{q}"
            );
            let p = ps_quote(s);
            assert_eq!(p[1..p.len() - 1].replace("''", "'"), s);
        }
        assert_eq!(ps_quote("a\u{2019}b"), "'a\u{2019}\u{2019}b'");
    }

    #[test]
    fn an_arm_put_as_each_command() {
        let headers = h(&[("Content-Type", "application/json")]);
        let r = Req {
            method: "PUT",
            url: "https://management.azure.com/subscriptions/s/resourceGroups/rg?api-version=2021-04-01",
            headers: &headers,
            body: Some(r#"{"location": "eastus", "tags": {"owner": "O'Brien"}}"#),
        };
        assert_eq!(
            az_rest(&r),
            "az rest --method put --url 'https://management.azure.com/subscriptions/s/resourceGroups/rg?api-version=2021-04-01' \\\n  --body '{\"location\": \"eastus\", \"tags\": {\"owner\": \"O'\\''Brien\"}}'"
        );
        assert_eq!(
            curl(&r),
            "curl -X PUT 'https://management.azure.com/subscriptions/s/resourceGroups/rg?api-version=2021-04-01' \\\n  -H \"Authorization: Bearer $TOKEN\" \\\n  -H 'Content-Type: application/json' \\\n  --data-raw '{\"location\": \"eastus\", \"tags\": {\"owner\": \"O'\\''Brien\"}}'"
        );
        assert_eq!(
            powershell(&r),
            "Invoke-AzRestMethod -Method PUT -Uri 'https://management.azure.com/subscriptions/s/resourceGroups/rg?api-version=2021-04-01' `\n  -Payload '{\"location\": \"eastus\", \"tags\": {\"owner\": \"O''Brien\"}}'"
        );
    }

    #[test]
    fn other_audiences_and_headers_are_named() {
        let headers = h(&[
            ("Content-Type", "application/json"),
            ("Prefer", "include-render=true"),
            ("Authorization", "Bearer eyJreal.token"),
        ]);
        let r = Req {
            method: "POST",
            url: "https://api.loganalytics.io/v1/workspaces/abc/query",
            headers: &headers,
            body: Some(r#"{"query": "T | render timechart"}"#),
        };
        let az = az_rest(&r);
        assert!(
            az.contains("--resource 'https://api.loganalytics.io'"),
            "{az}"
        );
        assert!(
            az.contains("--headers 'Prefer=include-render=true'"),
            "{az}"
        );
        let c = curl(&r);
        assert!(c.contains("-H 'Prefer: include-render=true'"), "{c}");
        let ps = powershell(&r);
        assert!(
            ps.starts_with("# Invoke-AzRestMethod sends no custom headers"),
            "{ps}"
        );
        assert!(ps.contains("#   Prefer: include-render=true"), "{ps}");
        assert!(
            ps.contains("-ResourceId 'https://api.loganalytics.io'"),
            "{ps}"
        );
        // A real token never leaves the page.
        for text in [az, c, ps] {
            assert!(!text.contains("eyJreal"), "{text}");
        }
        let kv = Req {
            method: "POST",
            url: "https://kv.vault.azure.net/keys/k/create?api-version=7.4",
            headers: &[],
            body: None,
        };
        assert!(az_rest(&kv).ends_with("--resource 'https://vault.azure.net'"));
        assert!(!curl(&kv).contains("--data-raw"));
    }

    #[test]
    fn the_data_collector_api_gets_a_signature_placeholder() {
        let headers = h(&[
            ("Log-Type", "AppEvents"),
            ("x-ms-date", "Mon, 02 Mar 2026 08:00:00 GMT"),
        ]);
        let r = Req {
            method: "POST",
            url: "https://0f1e2d3c.ods.opinsights.azure.com/api/logs?api-version=2016-04-01",
            headers: &headers,
            body: Some("[{\"a\": 1}]"),
        };
        let az = az_rest(&r);
        assert!(az.contains("--skip-authorization-header"), "{az}");
        assert!(
            az.contains("--headers 'Log-Type=AppEvents' \"Authorization=SharedKey 0f1e2d3c:$SIGNATURE\" \"x-ms-date=$DATE\""),
            "{az}"
        );
        let c = curl(&r);
        assert!(
            c.contains("-H \"Authorization: SharedKey 0f1e2d3c:$SIGNATURE\""),
            "{c}"
        );
        assert!(!c.contains("Bearer"), "{c}");
        assert!(powershell(&r).contains("SharedKey signature instead"));
        let token = Req {
            method: "POST",
            url: "https://login.microsoftonline.com/t/oauth2/v2.0/token",
            headers: &[],
            body: Some("grant_type=client_credentials"),
        };
        assert!(!curl(&token).contains("Authorization"));
        assert!(az_rest(&token).contains("--skip-authorization-header"));
    }
}
