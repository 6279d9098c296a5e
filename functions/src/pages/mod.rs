//! Small server-rendered pages for diners without JavaScript: the order
//! confirmation, the status page and the error page, in the diner's language
//! (dish and choice names from the catalog, the pages' own words from
//! [`Words`]). Every piece of text that came from a request or the store
//! passes through [`escape`].

pub(crate) mod account;
pub(crate) mod options_step;
pub(crate) mod order_form;
pub(crate) mod pay;

use std::fmt::Write;

use catalog::{Fulfilment, Quote, Site};

use crate::api::checkout::PaymentSummary;
use crate::api::problem::Problem;
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

/// The words of these pages in one language.
#[derive(Debug)]
pub struct Words {
    thank_you: &'static str,
    your_number: &'static str,
    /// `{}` is the diner's name.
    for_name: &'static str,
    pickup_at: &'static str,
    note: &'static str,
    follow: &'static str,
    order: &'static str,
    discount: &'static str,
    service_charge: &'static str,
    tax: &'static str,
    total: &'static str,
    back: &'static str,
    /// Short names of the statuses, in [`OrderStatus`] order.
    statuses: [&'static str; 6],
    /// What each status means for the diner, in [`OrderStatus`] order.
    meanings: [&'static str; 6],
    payment: &'static str,
    /// The payment states, in [`payment_index`] order.
    payment_states: [&'static str; 7],
    /// `{}` is the amount.
    to_pay: &'static str,
    pay_at_counter: &'static str,
    pay_online_optional: &'static str,
    /// `{}` is the unpaid hold in minutes.
    pay_online_required: &'static str,
    pay_now: &'static str,
    pay_with_stripe: &'static str,
    pay_with_wechat_pay: &'static str,
    /// Shown instead of the pay buttons where the page was opened without the order's token.
    pay_from_order_link: &'static str,
    /// A dine-in order: `{}` is the table.
    to_table: &'static str,
    /// A dine-in order that is ready.
    ready_to_table: &'static str,
    /// A pickup order: `{}` is the location's name.
    collect_at: &'static str,
    map: &'static str,
    /// `{}` is the time.
    ready_around: &'static str,
    /// `{}` is how many orders.
    ahead: &'static str,
    /// `{n}` recent orders, `{m}` minutes.
    from_recent: &'static str,
    /// `{m}` minutes.
    from_lead_time: &'static str,
    refresh: &'static str,
    /// `{}` is the time.
    checked_at: &'static str,
    rate_title: &'static str,
    rate_note: &'static str,
    rate_send: &'static str,
    /// The legend over the dishes' own stars.
    rate_dishes: &'static str,
    /// `{}` is the stars.
    rated_thanks: &'static str,
    /// The title of the options step of a plain order.
    choose_options: &'static str,
    /// What the options step says first.
    options_intro: &'static str,
    required: &'static str,
    /// `{}` is how many.
    pick_up_to: &'static str,
    /// An optional single choice left unpicked.
    none: &'static str,
    place_order: &'static str,
}

const ENGLISH: Words = Words {
    thank_you: "Thank you, your order is in",
    your_number: "Your order number",
    for_name: "For {}",
    pickup_at: "Pickup at",
    note: "Note",
    follow: "Follow your order's status",
    order: "Order",
    discount: "Discount",
    service_charge: "Service charge",
    tax: "Tax",
    total: "Total",
    back: "Back to the menu",
    statuses: [
        "Received",
        "Accepted",
        "Preparing",
        "Ready",
        "Completed",
        "Cancelled",
    ],
    meanings: [
        "Received: the kitchen will confirm it shortly",
        "Accepted",
        "Being prepared",
        "Ready: please collect it",
        "Completed",
        "Cancelled",
    ],
    payment: "Payment",
    payment_states: [
        "Not paid yet",
        "Payment in progress",
        "Paid",
        "Paid, partly refunded",
        "Refunded",
        "The payment did not go through. Try again or pay at the counter.",
        "Not paid in time: the order has lapsed.",
    ],
    to_pay: "To pay: {}",
    pay_at_counter: "Pay at the counter",
    pay_online_optional: "Pay now online or at the counter",
    pay_online_required: "Pay online to confirm — the order is held {} minutes",
    pay_now: "Pay now",
    pay_with_stripe: "Pay now by card",
    pay_with_wechat_pay: "Pay now with WeChat Pay",
    pay_from_order_link: "To pay online, open the link you got with the order.",
    to_table: "We bring it to your table ({})",
    ready_to_table: "Ready: on its way to your table",
    collect_at: "Collect it at {}",
    map: "Map",
    ready_around: "Should be ready around {}",
    ahead: "Orders ahead of yours: {}",
    from_recent: "Estimated from the median time from order to ready of this shop's last {n} orders ({m} min).",
    from_lead_time: "Estimated from the shop's usual preparation time ({m} min).",
    refresh: "Refresh",
    checked_at: "Checked at {}",
    rate_title: "How was your meal?",
    rate_note: "Anything to tell the kitchen? (optional)",
    rate_send: "Send rating",
    rate_dishes: "Each dish, if you like",
    rated_thanks: "Thank you: you rated this meal {}/5.",
    choose_options: "Choose options",
    options_intro: "One more step: choose the options of these dishes, then place the order.",
    required: "required",
    pick_up_to: "up to {}",
    none: "None",
    place_order: "Place order",
};

const CHINESE: Words = Words {
    thank_you: "谢谢，您的订单已收到",
    your_number: "您的订单号",
    for_name: "取餐人：{}",
    pickup_at: "取餐时间",
    note: "备注",
    follow: "查看订单状态",
    order: "订单",
    discount: "优惠",
    service_charge: "服务费",
    tax: "税费",
    total: "合计",
    back: "返回菜单",
    statuses: ["已收到", "已接单", "制作中", "可取餐", "已完成", "已取消"],
    meanings: [
        "已收到：厨房马上确认",
        "已接单",
        "制作中",
        "已做好：请取餐",
        "已完成",
        "已取消",
    ],
    payment: "付款",
    payment_states: [
        "尚未付款",
        "正在付款",
        "已付款",
        "已付款，部分退款",
        "已退款",
        "付款未成功，请重试或到柜台付款。",
        "未在规定时间内付款，订单已失效。",
    ],
    to_pay: "待付：{}",
    pay_at_counter: "请到柜台付款",
    pay_online_optional: "可立即在线支付，也可到柜台付款",
    pay_online_required: "在线支付后订单才确认——订单保留 {} 分钟",
    pay_now: "立即支付",
    pay_with_stripe: "银行卡支付",
    pay_with_wechat_pay: "微信支付",
    pay_from_order_link: "如需在线支付，请打开下单时收到的订单链接。",
    to_table: "做好后送到您的餐桌（{} 号桌）",
    ready_to_table: "已做好：马上送到您的餐桌",
    collect_at: "请到{}取餐",
    map: "地图",
    ready_around: "预计 {} 左右做好",
    ahead: "您前面还有 {} 单",
    from_recent: "按本店最近 {n} 单从下单到做好的中位时间（{m} 分钟）估算。",
    from_lead_time: "按本店通常的制作时间（{m} 分钟）估算。",
    refresh: "刷新",
    checked_at: "更新于 {}",
    rate_title: "这餐怎么样？",
    rate_note: "想对厨房说点什么？（可不填）",
    rate_send: "提交评分",
    rate_dishes: "也可以给每道菜打分",
    rated_thanks: "谢谢：您给这餐打了 {}/5 分。",
    choose_options: "选择选项",
    options_intro: "还差一步：请为这些菜选择选项，然后提交订单。",
    required: "必选",
    pick_up_to: "最多选 {} 项",
    none: "不需要",
    place_order: "提交订单",
};

impl Words {
    /// The words for `lang` (`zh`, `zh-Hans`… or English for any other language).
    pub fn of(lang: &str) -> &'static Words {
        if lang == "zh" || lang.starts_with("zh-") {
            &CHINESE
        } else {
            &ENGLISH
        }
    }

    fn status(&self, status: OrderStatus) -> &'static str {
        self.statuses[status_index(status)]
    }

    fn meaning(&self, status: OrderStatus) -> &'static str {
        self.meanings[status_index(status)]
    }
}

fn payment_index(state: catalog::payment::PaymentState) -> usize {
    use catalog::payment::PaymentState::*;
    match state {
        Unpaid => 0,
        Pending => 1,
        Paid => 2,
        PartiallyRefunded => 3,
        Refunded => 4,
        Failed => 5,
        Expired => 6,
    }
}

fn status_index(status: OrderStatus) -> usize {
    match status {
        OrderStatus::Received => 0,
        OrderStatus::Accepted => 1,
        OrderStatus::Preparing => 2,
        OrderStatus::Ready => 3,
        OrderStatus::Completed => 4,
        OrderStatus::Cancelled => 5,
    }
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

/// The one style sheet of these pages, inline (allowed by its hash in [`CSP`]): the
/// default theme's colours (light and dark), type, header and buttons.
const STYLE: &str = ":root{--bg:#fff;--fg:#1b1b1b;--muted:#595959;--accent:#a3220f;\
--accent-fg:#fff;--line:#e2e2e2;--ok:#1d6b2f;color-scheme:light dark}\
@media (prefers-color-scheme:dark){:root{--bg:#141414;--fg:#ececec;--muted:#b0b0b0;\
--accent:#ff9b85;--accent-fg:#141414;--line:#333;--ok:#7fd492}}\
body{margin:0;background:var(--bg);color:var(--fg);font:1rem/1.5 system-ui,-apple-system,\
\"Segoe UI\",Roboto,\"PingFang SC\",\"Noto Sans CJK SC\",sans-serif}\
main,.top{max-width:32rem;margin:0 auto;padding:0 1rem}a{color:var(--accent)}\
.top{display:flex;align-items:center;min-height:3rem;border-bottom:1px solid var(--line)}\
.brand{font-weight:700;text-decoration:none;color:var(--fg);display:inline-flex;\
align-items:center;min-height:44px}.muted{color:var(--muted)}\
.number{font-size:3rem;font-weight:700;margin:.5rem 0}\
table{width:100%;border-collapse:collapse}td{padding:.25rem 0;vertical-align:top}\
td.amount,th.amount{text-align:right}.amount{white-space:nowrap}\
th{text-align:left}.total td{font-weight:700;border-top:1px solid}\
.button,button{font:inherit;display:inline-flex;align-items:center;justify-content:center;\
min-height:44px;padding:0 1rem;border-radius:.5rem;border:2px solid var(--accent);\
background:var(--accent);color:var(--accent-fg);text-decoration:none;font-weight:600;\
cursor:pointer}.problem{border-left:4px solid #b3261e;padding-left:.75rem}\
fieldset{border:1px solid var(--line);border-radius:.5rem;margin:0 0 1rem;padding:.5rem .75rem}\
legend{font-weight:600;padding:0 .25rem}.choice{display:flex;gap:.5rem;align-items:center;\
min-height:44px}.choice input{width:1.25rem;height:1.25rem;margin:0}.sub{margin-left:1.75rem}\
.choice:not(:has(input:checked))+.sub{display:none}";

/// The header of an order's pages: the site's name, back to the location's menu.
fn header(site: &Site, order: &Order, lang: &str) -> String {
    location_header(site, &order.location, lang)
}

/// The header of a page about one location: the site's name, back to its menu.
fn location_header(site: &Site, location: &str, lang: &str) -> String {
    let lang = safe_lang(lang);
    let name = site.settings.name.get(lang, site.default_language());
    format!(
        "<header class=\"top\"><a class=\"brand\" href=\"/{lang}/{}/\">{}</a></header>\n",
        escape(location),
        escape(name)
    )
}

/// The Content-Security-Policy of these pages: nothing loads but the inline style
/// (by its hash) and images from the site; no script at all; forms post to the site
/// (which may send the diner on to a payment provider over HTTPS); never framed.
fn content_security_policy() -> &'static str {
    static CSP: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    CSP.get_or_init(|| {
        use base64::Engine as _;
        use sha2::Digest as _;
        let hash = base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(STYLE));
        format!(
            "default-src 'none'; style-src 'sha256-{hash}'; img-src 'self' data:; \
             form-action 'self' https:; base-uri 'none'; frame-ancestors 'none'"
        )
    })
}

/// Adds the security headers of a server-rendered page to every HTML answer of the
/// API, the same as the CDN's security headers policy gives the static pages in
/// production (`deploy/template.yaml`), plus a policy of their own: `nosniff`, a
/// Content-Security-Policy with `frame-ancestors 'none'`, `X-Frame-Options: DENY` for
/// older browsers, and `Referrer-Policy: no-referrer` because these pages' addresses
/// carry the order's token. Every answer gets `nosniff`.
pub(crate) async fn security_headers(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::http::{header, HeaderValue};
    let mut response = next.run(request).await;
    let html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    let headers = response.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if html {
        if let Ok(csp) = HeaderValue::from_str(content_security_policy()) {
            headers.insert(header::CONTENT_SECURITY_POLICY, csp);
        }
        headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
        headers.insert(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        );
    }
    response
}

fn page(lang: &str, title: &str, body: &str) -> String {
    page_with_header(lang, title, "", body)
}

fn page_with_header(lang: &str, title: &str, header: &str, body: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"{lang}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"robots\" content=\"noindex\">\n<title>{title}</title>\n\
         <style>{STYLE}</style>\n\
         </head>\n<body>\n{header}<main>\n{body}</main>\n</body>\n</html>\n",
        lang = safe_lang(lang),
        title = escape(title),
    )
}

/// An amount as the menu shows it (`¥22.00`, `-¥10.00`), kept on one line.
fn money(site: &Site, amount: catalog::Minor) -> String {
    format!(
        "<span class=\"amount\">{}</span>",
        escape(&site.settings.currency.display(amount))
    )
}

/// A quoted line's dish and choice names in `lang`, from the catalog when the
/// dish is still on it, else as stored (the default language).
fn line_names(
    site: &Site,
    line: &catalog::pricing::PricedLine,
    lang: &str,
) -> (String, Vec<String>) {
    let fallback = site.default_language();
    let Some((_, dish)) = site.dish(&line.dish) else {
        let options = line.options.iter().map(|o| o.name.clone()).collect();
        return (line.name.clone(), options);
    };
    let options = line
        .options
        .iter()
        .map(|picked| {
            site.option_group(dish, &picked.group)
                .and_then(|(_, g)| g.choices.iter().find(|c| c.id == picked.choice))
                .map_or_else(
                    || picked.name.clone(),
                    |c| c.name.get(lang, fallback).to_owned(),
                )
        })
        .collect();
    (dish.name.get(lang, fallback).to_owned(), options)
}

fn quote_table(out: &mut String, quote: &Quote, site: &Site, lang: &str) {
    let words = Words::of(lang);
    out.push_str("<table>\n");
    for line in &quote.lines {
        let (name, options) = line_names(site, line, lang);
        let options = if options.is_empty() {
            String::new()
        } else {
            let text = catalog::pricing::choices_text(&line.options, &options);
            format!(" <small>({})</small>", escape(&text))
        };
        let _ = writeln!(
            out,
            "<tr><td>{} × {}{}</td><td class=\"amount\">{}</td></tr>",
            line.quantity,
            escape(&name),
            options,
            money(site, line.total)
        );
    }
    let mut row = |label: &str, amount: catalog::Minor, class: &str| {
        let _ = writeln!(
            out,
            "<tr class=\"{class}\"><td>{label}</td><td class=\"amount\">{}</td></tr>",
            money(site, amount)
        );
    };
    if quote.discount > 0 {
        row(words.discount, -quote.discount, "discount");
    }
    if quote.service_charge > 0 {
        row(words.service_charge, quote.service_charge, "charge");
    }
    if quote.tax > 0 && !quote.tax_inclusive {
        row(words.tax, quote.tax, "tax");
    }
    row(words.total, quote.total, "total");
    out.push_str("</table>\n");
}

/// An instant as the shop's clock shows it, in a `<time>` element (whose `datetime`
/// HTML allows at most three digits of a second: whole seconds here).
fn local_time(site: &Site, at: chrono::DateTime<chrono::Utc>) -> String {
    let local = at.with_timezone(&site.settings.timezone);
    format!(
        "<time datetime=\"{}\">{}</time>",
        escape(&at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
        local.format("%Y-%m-%d %H:%M")
    )
}

/// Where an order is collected: the location's name and address in the diner's
/// language and a map search for the address (no key, no tracking parameters).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Place {
    pub name: String,
    pub address: String,
    pub map_url: String,
}

impl Place {
    pub fn of(location: &catalog::Location, site: &Site, lang: &str) -> Place {
        let fallback = site.default_language();
        let address = location.address.get(lang, fallback).to_owned();
        let query: String = form_urlencoded::byte_serialize(address.as_bytes()).collect();
        Place {
            name: location.name.get(lang, fallback).to_owned(),
            map_url: format!("https://www.openstreetmap.org/search?query={query}"),
            address,
        }
    }
}

/// The quote's dish and choice names in `lang` (see [`line_names`]).
pub fn localize_quote(site: &Site, quote: &mut Quote, lang: &str) {
    for line in &mut quote.lines {
        let (name, options) = line_names(site, line, lang);
        line.name = name;
        for (picked, name) in line.options.iter_mut().zip(options) {
            picked.name = name;
        }
    }
}

fn fulfilment_line(order: &Order, site: &Site, lang: &str, words: &Words) -> String {
    match &order.cart.fulfilment {
        Fulfilment::DineIn { table } => {
            format!("<p>{}</p>\n", words.to_table.replace("{}", &escape(table)))
        }
        Fulfilment::Pickup { slot } => {
            let mut out = format!("<p>{} {}</p>\n", words.pickup_at, local_time(site, *slot));
            if let Some(location) = site.location(&order.location) {
                let place = Place::of(location, site, lang);
                let _ = writeln!(
                    out,
                    "<p>{}<br>{} · <a href=\"{}\">{}</a></p>",
                    escape(&words.collect_at.replace("{}", &place.name)),
                    escape(&place.address),
                    escape(&place.map_url),
                    words.map
                );
            }
            out
        }
    }
}

/// The estimate in words: when, how many ahead, and how it was counted.
fn estimate_block(
    out: &mut String,
    estimate: &crate::estimate::Estimate,
    site: &Site,
    words: &Words,
) {
    out.push_str("<div class=\"estimate\">\n");
    if let Some(at) = estimate.ready_at {
        let local = at.with_timezone(&site.settings.timezone);
        let _ = writeln!(
            out,
            "<p><strong>{}</strong></p>",
            words.ready_around.replace(
                "{}",
                &format!(
                    "<time datetime=\"{}\">{}</time>",
                    escape(&at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
                    local.format("%H:%M")
                )
            )
        );
    }
    let _ = writeln!(
        out,
        "<p>{}</p>",
        words.ahead.replace("{}", &estimate.ahead.to_string())
    );
    let minutes = estimate.minutes.unwrap_or(0).to_string();
    let how = match estimate.basis {
        "recent" => words
            .from_recent
            .replace("{n}", &estimate.samples.to_string())
            .replace("{m}", &minutes),
        "lead_time" => words.from_lead_time.replace("{m}", &minutes),
        _ => String::new(),
    };
    if !how.is_empty() {
        let _ = writeln!(out, "<p class=\"muted\">{how}</p>");
    }
    out.push_str("</div>\n");
}

/// The order's payment: its state and what is due, when to pay by the location's
/// policy, and a plain form posting to `POST /api/payments/checkout` (one button
/// per online method) where the policy takes payment online and something is due.
fn payment_block(
    out: &mut String,
    order: &Order,
    site: &Site,
    lang: &str,
    token: Option<&str>,
    payment: Option<&PaymentSummary>,
) {
    use catalog::payment::PaymentState::*;
    use catalog::payment_policy::Due;
    let words = Words::of(lang);
    let Some(location) = site.location(&order.location) else {
        return;
    };
    let policy = &location.payment;
    let due = policy.due(&order.cart.fulfilment);
    let (state, amount) = match payment {
        Some(p) => (p.state, p.due),
        None => (Unpaid, order.quote.total),
    };
    let open = amount > 0
        && matches!(state, Unpaid | Pending | Failed)
        && order.status != OrderStatus::Cancelled;
    out.push_str("<section class=\"payment\">\n");
    let _ = write!(
        out,
        "<p>{}: <strong id=\"payment-state\" data-state=\"{}\">{}</strong>",
        words.payment,
        state.as_str(),
        words.payment_states[payment_index(state)]
    );
    if open {
        let _ = write!(
            out,
            " · {}",
            words.to_pay.replace("{}", &money(site, amount))
        );
    }
    out.push_str("</p>\n");
    if !open {
        out.push_str("</section>\n");
        return;
    }
    let when = match due {
        Due::PayAtCounter => words.pay_at_counter.to_owned(),
        Due::PayOnlineOptional => words.pay_online_optional.to_owned(),
        Due::PayOnlineRequired => words
            .pay_online_required
            .replace("{}", &policy.unpaid_hold_minutes.to_string()),
    };
    let _ = writeln!(out, "<p>{when}</p>");
    let online: Vec<catalog::payment::Method> = policy.online_methods().collect();
    // Paying online needs the order's token (the diner's own link); the account page
    // shows the order without it.
    if due.online() && !online.is_empty() && token.is_none() {
        let _ = writeln!(out, "<p>{}</p>", words.pay_from_order_link);
    }
    if let (true, false, Some(token)) = (due.online(), online.is_empty(), token) {
        let _ = write!(
            out,
            "<form method=\"post\" action=\"/api/payments/checkout\">\n\
             <input type=\"hidden\" name=\"order_id\" value=\"{}\">\n\
             <input type=\"hidden\" name=\"token\" value=\"{}\">\n\
             <input type=\"hidden\" name=\"lang\" value=\"{}\">\n",
            escape(&order.id),
            escape(token),
            safe_lang(lang)
        );
        for method in &online {
            let label = match (online.len(), method) {
                (1, _) => words.pay_now,
                (_, catalog::payment::Method::WechatPay) => words.pay_with_wechat_pay,
                _ => words.pay_with_stripe,
            };
            let _ = writeln!(
                out,
                "<button type=\"submit\" name=\"method\" value=\"{}\">{label}</button>",
                method.as_str()
            );
        }
        out.push_str("</form>\n");
    }
    out.push_str("</section>\n");
}

/// The page answering a form-posted order.
pub fn confirmation_page(
    order: &Order,
    status_url: &str,
    token: &str,
    payment: Option<&PaymentSummary>,
    site: &Site,
    lang: &str,
) -> String {
    let words = Words::of(lang);
    let mut body = String::new();
    let _ = writeln!(body, "<h1>{}</h1>", words.thank_you);
    let _ = writeln!(
        body,
        "<p>{}</p>\n<p class=\"number\">{}</p>",
        words.your_number,
        escape(&order.number)
    );
    if let Some(name) = &order.name {
        let _ = writeln!(
            body,
            "<p>{}</p>",
            words.for_name.replace("{}", &escape(name))
        );
    }
    body.push_str(&fulfilment_line(order, site, lang, words));
    quote_table(&mut body, &order.quote, site, lang);
    if let Some(note) = &order.note {
        let _ = writeln!(body, "<p>{}: {}</p>", words.note, escape(note));
    }
    payment_block(&mut body, order, site, lang, Some(token), payment);
    let _ = writeln!(
        body,
        "<p><a href=\"{}&amp;lang={}\">{}</a></p>",
        escape(status_url),
        safe_lang(lang),
        words.follow
    );
    page_with_header(
        lang,
        &format!("{} {}", words.order, order.number),
        &header(site, order, lang),
        &body,
    )
}

/// The no-JS status page, with a "Refresh" link (a timed `meta refresh` would move
/// the page under a screen reader's feet) and, while the order is open, when it
/// should be ready. Without the order's token (a member reading their own order) it
/// offers no online payment.
/// What a completed order's status page says about rating it.
#[derive(Debug, Clone, Copy)]
pub enum RatingOffer<'a> {
    /// Nothing (not completed, or a page without the order's token).
    Not,
    /// A plain form asking for stars and a note.
    Ask,
    /// "Thank you: you rated this meal 4/5."
    Rated(&'a crate::store::Rating),
}

/// The status page of an order, for browsers (JavaScript or not).
pub fn status_page(
    order: &Order,
    site: &Site,
    lang: &str,
    token: Option<&str>,
    payment: Option<&PaymentSummary>,
    estimate: Option<&crate::estimate::Estimate>,
    rating: RatingOffer<'_>,
) -> String {
    let words = Words::of(lang);
    let mut body = String::new();
    let meaning = match (&order.cart.fulfilment, order.status) {
        (Fulfilment::DineIn { .. }, OrderStatus::Ready) => words.ready_to_table,
        _ => words.meaning(order.status),
    };
    let _ = writeln!(
        body,
        "<h1>{}</h1>\n<p class=\"number\">{}</p>\n<p id=\"state\" data-state=\"{}\"><strong>{}</strong></p>",
        words.order,
        escape(&order.number),
        order.status.as_str(),
        meaning
    );
    if let Some(estimate) = estimate {
        estimate_block(&mut body, estimate, site, words);
    }
    body.push_str(&fulfilment_line(order, site, lang, words));
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
                "<li>{}: {}</li>",
                words.status(status),
                local_time(site, at)
            );
        }
    }
    body.push_str("</ul>\n");
    payment_block(&mut body, order, site, lang, token, payment);
    rating_block(&mut body, order, site, lang, token, rating, words);
    quote_table(&mut body, &order.quote, site, lang);
    let paying = payment.is_some_and(|p| p.state == catalog::payment::PaymentState::Pending);
    let open = paying
        || matches!(
            order.status,
            OrderStatus::Received | OrderStatus::Accepted | OrderStatus::Preparing
        );
    if open {
        // The same address again: the browser fetches the page anew.
        let now = local_time(site, chrono::Utc::now());
        let _ = writeln!(
            body,
            "<p><a class=\"button\" href=\"\" id=\"refresh\">{}</a> <span class=\"muted\">{}</span></p>",
            words.refresh,
            words.checked_at.replace("{}", &now)
        );
    }
    page_with_header(
        lang,
        &format!("{} {}", words.order, order.number),
        &header(site, order, lang),
        &body,
    )
}

/// After the meal: a plain form for 1–5 stars, a note and each dish's own stars (field
/// `dish:<id>`, optional), or the thanks once rated.
fn rating_block(
    body: &mut String,
    order: &Order,
    site: &Site,
    lang: &str,
    token: Option<&str>,
    rating: RatingOffer<'_>,
    words: &Words,
) {
    match (rating, token) {
        (RatingOffer::Rated(rating), _) => {
            let _ = writeln!(
                body,
                "<p id=\"rated\" role=\"status\">{}</p>",
                words.rated_thanks.replace("{}", &rating.stars.to_string())
            );
        }
        (RatingOffer::Ask, Some(token)) => {
            let action = format!(
                "/api/orders/{}/rating?token={}&lang={}",
                order.id,
                form_urlencoded::byte_serialize(token.as_bytes()).collect::<String>(),
                form_urlencoded::byte_serialize(lang.as_bytes()).collect::<String>()
            );
            let _ = write!(
                body,
                "<form id=\"rate\" method=\"post\" action=\"{}\">\n<fieldset><legend>{}</legend>",
                escape(&action),
                words.rate_title
            );
            stars_radios(body, "stars", true);
            body.push_str("</fieldset>\n");
            let mut seen = std::collections::BTreeSet::new();
            let dishes: Vec<_> = order
                .quote
                .lines
                .iter()
                .filter(|line| seen.insert(line.dish.as_str()))
                .collect();
            if !dishes.is_empty() {
                let _ = writeln!(body, "<details><summary>{}</summary>", words.rate_dishes);
                for line in dishes {
                    let (name, _) = line_names(site, line, lang);
                    let _ = write!(body, "<fieldset><legend>{}</legend>", escape(&name));
                    stars_radios(body, &format!("dish:{}", line.dish), false);
                    body.push_str("</fieldset>\n");
                }
                body.push_str("</details>\n");
            }
            let _ = writeln!(
                body,
                "<p><label for=\"rate-note\">{}</label><br><textarea id=\"rate-note\" name=\"note\" maxlength=\"500\" rows=\"2\"></textarea></p>\n<p><button class=\"button\" type=\"submit\">{}</button></p>\n</form>",
                words.rate_note, words.rate_send
            );
        }
        _ => {}
    }
}

/// Five radio buttons `name` = 1–5, labelled with stars.
fn stars_radios(body: &mut String, name: &str, required: bool) {
    let name = escape(name);
    let required = if required { " required" } else { "" };
    for n in 1..=5 {
        let _ = write!(
            body,
            " <label><input type=\"radio\" name=\"{name}\" value=\"{n}\"{required}> {n}★</label>"
        );
    }
}

/// `path` when it is a path on this site (`/…`, not `//host/…`): safe to link back to.
fn same_site(path: &str) -> bool {
    path.starts_with('/') && !path.starts_with("//")
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
    let back = back.filter(|b| same_site(b)).unwrap_or("/");
    let _ = writeln!(
        body,
        "<p><a href=\"{}\">{}</a></p>",
        escape(back),
        Words::of(lang).back
    );
    page(lang, problem.title, &body)
}

/// The `Content-Security-Policy` of the member's own pages: nothing but their inline
/// style, forms posting to this origin only, never framed.
pub const PRIVATE_PAGE_CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; \
     form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// A page about one person (the account pages): HTML, never cached or framed, no
/// scripts, the referrer kept to this origin (so a form post names its page).
pub fn private_page(status: axum::http::StatusCode, html: String) -> axum::response::Response {
    use axum::http::{header, HeaderValue};
    use axum::response::IntoResponse;
    let mut response = (status, axum::response::Html(html)).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(PRIVATE_PAGE_CSP),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    response
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
