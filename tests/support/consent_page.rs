//! Plays the person on a fake provider's consent page, as the sandbox shows it in the
//! browser: reads the page's form and presses Approve with an account name typed in.

use regex::Regex;

/// GETs `authorize_url` (following no redirect). A redirect (the consent approved by itself)
/// is returned as it is; a page with a form is submitted as its Approve button does, with
/// `user` typed in the account field. Returns where the approval sends the browser back to.
pub async fn approve(authorize_url: &str, user: &str) -> String {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let page = client.get(authorize_url).send().await.unwrap();
    if page.status().is_redirection() {
        return location(&page);
    }
    let html = page.text().await.unwrap();
    let form = Form::read(&html).unwrap_or_else(|| panic!("no consent form in {html}"));
    let action = url::Url::parse(authorize_url)
        .unwrap()
        .join(&form.action)
        .unwrap();
    let mut fields: Vec<(String, String)> = form
        .inputs
        .into_iter()
        .map(|(name, value)| match name.as_str() {
            "username" | "user" => (name, user.to_owned()),
            _ => (name, value),
        })
        .collect();
    fields.push(("decision".into(), "approve".into()));
    let answer = client.post(action).form(&fields).send().await.unwrap();
    assert!(
        answer.status().is_redirection(),
        "the approval redirects back: {} {}",
        answer.status(),
        answer.text().await.unwrap_or_default()
    );
    location(&answer)
}

fn location(response: &reqwest::Response) -> String {
    response.headers()[reqwest::header::LOCATION]
        .to_str()
        .unwrap()
        .to_owned()
}

/// A page's first form: where it posts, and its inputs' names and values.
struct Form {
    action: String,
    inputs: Vec<(String, String)>,
}

impl Form {
    fn read(html: &str) -> Option<Form> {
        let start = html.find("<form")?;
        let end = html[start..].find("</form>")? + start;
        let form = &html[start..end];
        let tag = &form[..form.find('>')?];
        let action = attributes(tag)
            .into_iter()
            .find(|(name, _)| name == "action")?
            .1;
        let inputs = Regex::new(r"<input\b[^>]*>")
            .unwrap()
            .find_iter(form)
            .filter_map(|input| {
                let attrs = attributes(input.as_str());
                let value = |key: &str| {
                    attrs
                        .iter()
                        .find(|(name, _)| name == key)
                        .map(|(_, v)| v.clone())
                };
                Some((value("name")?, value("value").unwrap_or_default()))
            })
            .collect();
        Some(Form { action, inputs })
    }
}

/// The attributes of one tag, values unquoted and unescaped.
fn attributes(tag: &str) -> Vec<(String, String)> {
    let pattern =
        Regex::new(r#"([A-Za-z_][\w-]*)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>"']+))"#).unwrap();
    pattern
        .captures_iter(tag)
        .map(|found| {
            let value = found
                .get(2)
                .or(found.get(3))
                .or(found.get(4))
                .map_or("", |m| m.as_str());
            (found[1].to_ascii_lowercase(), unescape(value))
        })
        .collect()
}

fn unescape(text: &str) -> String {
    text.replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}
