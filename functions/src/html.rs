//! Small server-rendered pages for diners without JavaScript: the order
//! confirmation, the status page and the error page. Every piece of text that
//! came from a request or the store passes through [`escape`].

use std::fmt::Write;

use catalog::{Currency, Fulfilment, Quote};

use crate::problem::Problem;
use crate::store::{Order, OrderStatus};

/// Escapes text for HTML element content and quoted attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// A language code safe to put in `lang="…"`: letters, digits and `-` only.
fn safe_lang(lang: &str) -> &str {
    if !lang.is_empty()
        && lang.len() <= 16
        && lang.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    {
        lang
    } else {
        "en"
    }
}

fn page(lang: &str, title: &str, refresh_seconds: Option<u32>, body: &str) -> String {
    let refresh = refresh_seconds
        .map(|s| format!("<meta http-equiv=\"refresh\" content=\"{s}\">\n"))
        .unwrap_or_default();
    format!(
        "<!doctype html>\n<html lang=\"{lang}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"robots\" content=\"noindex\">\n{refresh}<title>{title}</title>\n\
         <style>body{{font-family:system-ui,sans-serif;max-width:32rem;margin:1rem auto;padding:0 1rem;line-height:1.5}}\
         .number{{font-size:3rem;font-weight:700;margin:.5rem 0}}table{{width:100%;border-collapse:collapse}}\
         td{{padding:.25rem 0}}td.amount{{text-align:right}}.total td{{font-weight:700;border-top:1px solid}}</style>\n\
         </head>\n<body>\n<main>\n{body}</main>\n</body>\n</html>\n",
        lang = safe_lang(lang),
        title = escape(title),
    )
}

fn money(currency: &Currency, amount: catalog::Minor) -> String {
    escape(&format!("{} {}", currency.code, currency.format(amount)))
}

fn quote_table(out: &mut String, quote: &Quote, currency: &Currency) {
    out.push_str("<table>\n");
    for line in &quote.lines {
        let options: Vec<&str> = line.options.iter().map(|o| o.name.as_str()).collect();
        let options = if options.is_empty() {
            String::new()
        } else {
            format!(" <small>({})</small>", escape(&options.join(", ")))
        };
        let _ = writeln!(
            out,
            "<tr><td>{} × {}{}</td><td class=\"amount\">{}</td></tr>",
            line.quantity,
            escape(&line.name),
            options,
            money(currency, line.total)
        );
    }
    let mut row = |label: &str, amount: catalog::Minor, class: &str| {
        let _ = writeln!(
            out,
            "<tr class=\"{class}\"><td>{label}</td><td class=\"amount\">{}</td></tr>",
            money(currency, amount)
        );
    };
    if quote.discount > 0 {
        row("Discount", -quote.discount, "discount");
    }
    if quote.service_charge > 0 {
        row("Service charge", quote.service_charge, "charge");
    }
    if quote.tax > 0 && !quote.tax_inclusive {
        row("Tax", quote.tax, "tax");
    }
    row("Total", quote.total, "total");
    out.push_str("</table>\n");
}

fn fulfilment_line(order: &Order) -> String {
    match &order.cart.fulfilment {
        Fulfilment::DineIn { table } => format!("<p>Table {}</p>\n", escape(table)),
        Fulfilment::Pickup { slot } => format!(
            "<p>Pickup at <time datetime=\"{iso}\">{iso}</time></p>\n",
            iso = escape(&slot.to_rfc3339())
        ),
    }
}

/// The page answering a form-posted order.
pub fn confirmation_page(
    order: &Order,
    status_url: &str,
    currency: &Currency,
    lang: &str,
) -> String {
    let mut body = String::new();
    body.push_str("<h1>Thank you, your order is in</h1>\n");
    let _ = writeln!(
        body,
        "<p>Your order number</p>\n<p class=\"number\">{}</p>",
        escape(&order.number)
    );
    if let Some(name) = &order.name {
        let _ = writeln!(body, "<p>For {}</p>", escape(name));
    }
    body.push_str(&fulfilment_line(order));
    quote_table(&mut body, &order.quote, currency);
    if let Some(note) = &order.note {
        let _ = writeln!(body, "<p>Note: {}</p>", escape(note));
    }
    let _ = writeln!(
        body,
        "<p><a href=\"{}\">Follow your order's status</a></p>",
        escape(status_url)
    );
    page(lang, &format!("Order {}", order.number), None, &body)
}

fn status_words(status: OrderStatus) -> &'static str {
    match status {
        OrderStatus::Received => "Received: the kitchen will confirm it shortly",
        OrderStatus::Accepted => "Accepted",
        OrderStatus::Preparing => "Being prepared",
        OrderStatus::Ready => "Ready: please collect it",
        OrderStatus::Completed => "Completed",
        OrderStatus::Cancelled => "Cancelled",
    }
}

/// The no-JS status page; it refreshes itself every 10 s until the order is done.
pub fn status_page(order: &Order, currency: &Currency, lang: &str) -> String {
    let mut body = String::new();
    let _ = writeln!(
        body,
        "<h1>Order</h1>\n<p class=\"number\">{}</p>\n<p><strong>{}</strong></p>",
        escape(&order.number),
        status_words(order.status)
    );
    body.push_str(&fulfilment_line(order));
    body.push_str("<ul>\n");
    let times = &order.times;
    for (status, at) in [
        (OrderStatus::Received, times.received),
        (OrderStatus::Accepted, times.accepted),
        (OrderStatus::Preparing, times.preparing),
        (OrderStatus::Ready, times.ready),
        (OrderStatus::Completed, times.completed),
        (OrderStatus::Cancelled, times.cancelled),
    ] {
        if let Some(at) = at {
            let _ = writeln!(
                body,
                "<li>{}: <time datetime=\"{iso}\">{iso}</time></li>",
                status.as_str(),
                iso = escape(&at.to_rfc3339())
            );
        }
    }
    body.push_str("</ul>\n");
    quote_table(&mut body, &order.quote, currency);
    let refresh = matches!(
        order.status,
        OrderStatus::Received | OrderStatus::Accepted | OrderStatus::Preparing
    )
    .then_some(10);
    page(lang, &format!("Order {}", order.number), refresh, &body)
}

/// The page answering a form that could not be ordered: each problem in words, and a way back.
pub fn error_page(problem: &Problem, back: Option<&str>, lang: &str) -> String {
    let mut body = String::new();
    let _ = writeln!(
        body,
        "<h1>{}</h1>\n<p>{}</p>",
        escape(problem.title),
        escape(&problem.detail)
    );
    if !problem.errors.is_empty() {
        body.push_str("<ul>\n");
        for error in &problem.errors {
            let _ = writeln!(
                body,
                "<li><strong>{}</strong>: {}</li>",
                escape(&error.field),
                escape(&error.reason)
            );
        }
        body.push_str("</ul>\n");
    }
    let back = back
        .filter(|b| b.starts_with('/') && !b.starts_with("//"))
        .unwrap_or("/");
    let _ = writeln!(
        body,
        "<p><a href=\"{}\">Back to the menu</a></p>",
        escape(back)
    );
    page(lang, problem.title, None, &body)
}

/// Whether the request's `Accept` header prefers HTML to JSON.
pub fn prefers_html(accept: Option<&str>) -> bool {
    let Some(accept) = accept else {
        return false;
    };
    let mut html: Option<f32> = None;
    let mut json: Option<f32> = None;
    let mut any = 0.0f32;
    for item in accept.split(',') {
        let mut parts = item.split(';');
        let media = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let q = parts
            .filter_map(|p| p.trim().strip_prefix("q="))
            .find_map(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0)
            .clamp(0.0, 1.0);
        let best = |seen: Option<f32>| Some(seen.map_or(q, |s| s.max(q)));
        match media.as_str() {
            "text/html" | "application/xhtml+xml" => html = best(html),
            "application/json" | "application/problem+json" => json = best(json),
            "*/*" => any = any.max(q),
            _ => {}
        }
    }
    // HTML only when asked for by name and liked more than JSON (named or by `*/*`).
    match (html, json) {
        (Some(html), Some(json)) => html > 0.0 && html > json,
        (Some(html), None) => html > 0.0 && html >= any,
        (None, _) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            escape("<script>alert('x')</script>&\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&quot;"
        );
    }

    #[test]
    fn browsers_get_html_and_scripts_get_json() {
        let browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
        assert!(prefers_html(Some(browser)));
        assert!(!prefers_html(Some("application/json")));
        assert!(!prefers_html(Some("*/*")));
        assert!(!prefers_html(None));
        assert!(!prefers_html(Some("application/json, text/html;q=0.5")));
        assert!(prefers_html(Some("text/html")));
    }
}
