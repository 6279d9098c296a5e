//! The diner's "my account" pages, server-rendered so they work without JavaScript:
//! signing in with a one-time code (the address, then the code), the account itself
//! (orders, coupons, consent, sign-out, "delete my data"), the confirmation of an
//! erasure with a fresh code, and the page after it. Plain forms posting to
//! `/api/members/account/…`; every piece of text from a request or the store passes
//! through [`escape`].

use std::fmt::Write;

use catalog::Site;
use chrono::{DateTime, Utc};

use super::{escape, local_time, money, page, safe_lang, Words};
use crate::api::problem::Problem;
use crate::store::{Member, Order};

/// Where the account page lives; the forms post below it.
pub const ACCOUNT_PATH: &str = "/api/members/account";

/// The words of the account pages in one language.
#[derive(Debug)]
pub struct AccountWords {
    title: &'static str,
    sign_in_title: &'static str,
    sign_in_intro: &'static str,
    address_label: &'static str,
    send_code: &'static str,
    code_title: &'static str,
    /// `{}` is "email" or "phone" in words.
    code_sent: &'static str,
    by_email: &'static str,
    by_phone: &'static str,
    code_label: &'static str,
    /// `{}` is the shop's name.
    consent_label: &'static str,
    sign_in: &'static str,
    another_address: &'static str,
    /// `{}` is the phone or email.
    signed_in_as: &'static str,
    orders: &'static str,
    no_orders: &'static str,
    order: &'static str,
    date: &'static str,
    total: &'static str,
    status: &'static str,
    coupons: &'static str,
    no_coupons: &'static str,
    unused: &'static str,
    used: &'static str,
    /// `{used}`, `{limit}` and `{left}`.
    allowance: &'static str,
    /// `{}` is the last valid day.
    valid_until: &'static str,
    consent: &'static str,
    /// `{}` is the date consent was given.
    consent_given: &'static str,
    /// `{}` is the shop's name.
    consent_meaning: &'static str,
    withdraw: &'static str,
    /// `{}` is the date it was withdrawn.
    consent_withdrawn: &'static str,
    sign_out: &'static str,
    erase_title: &'static str,
    erase_intro: &'static str,
    erase_send: &'static str,
    /// `{}` is the phone or email.
    erase_code_sent: &'static str,
    erase_confirm: &'static str,
    cancel: &'static str,
    erased_title: &'static str,
    erased_body: &'static str,
    back_to_menu: &'static str,
}

const ENGLISH: AccountWords = AccountWords {
    title: "My account",
    sign_in_title: "Sign in",
    sign_in_intro: "Sign in with the phone number or email address you joined with. We send you a 6-digit code; no password needed.",
    address_label: "Phone number or email address",
    send_code: "Send me a code",
    code_title: "Enter your code",
    code_sent: "If this address can receive it, a 6-digit code is on its way by {}. It is valid for 10 minutes.",
    by_email: "email",
    by_phone: "text message",
    code_label: "6-digit code",
    consent_label: "New here? I agree that {} contacts me and links my orders to me (needed to become a member).",
    sign_in: "Sign in",
    another_address: "Use another address or send a new code",
    signed_in_as: "Signed in as {}",
    orders: "My orders",
    no_orders: "No orders yet.",
    order: "Order",
    date: "Date",
    total: "Total",
    status: "Status",
    coupons: "My coupons",
    no_coupons: "No coupons for you right now.",
    unused: "not used yet",
    used: "used",
    allowance: "used {used} of {limit}, {left} left",
    valid_until: "valid until {}",
    consent: "My consent",
    consent_given: "You gave your consent on {}.",
    consent_meaning: "It lets {} contact you about offers and link your orders to you.",
    withdraw: "Withdraw my consent",
    consent_withdrawn: "You withdrew your consent on {}: you are not contacted about offers any more.",
    sign_out: "Sign out",
    erase_title: "Delete my data",
    erase_intro: "This removes your phone number, email address and name, and the names and notes on your orders, and signs you out everywhere. The shop keeps the orders' figures without anything that names you. It cannot be undone.",
    erase_send: "Send me a code to delete my data",
    erase_code_sent: "To confirm, enter the 6-digit code we sent to {}. It is valid for 10 minutes.",
    erase_confirm: "Delete my data now",
    cancel: "Keep my data",
    erased_title: "Your data is deleted",
    erased_body: "Your phone number, email address and name are removed and you are signed out. Thank you for having been a member.",
    back_to_menu: "Back to the menu",
};

const CHINESE: AccountWords = AccountWords {
    title: "我的账户",
    sign_in_title: "登录",
    sign_in_intro: "请输入您加入会员时使用的手机号或邮箱。我们会发送 6 位验证码，无需密码。",
    address_label: "手机号或邮箱",
    send_code: "发送验证码",
    code_title: "输入验证码",
    code_sent: "如果该地址可以接收，6 位验证码已通过{}发出，10 分钟内有效。",
    by_email: "邮件",
    by_phone: "短信",
    code_label: "6 位验证码",
    consent_label: "首次加入？我同意{}与我联系并将我的订单与我关联（成为会员所需）。",
    sign_in: "登录",
    another_address: "换一个地址或重新发送验证码",
    signed_in_as: "已登录：{}",
    orders: "我的订单",
    no_orders: "还没有订单。",
    order: "订单",
    date: "日期",
    total: "合计",
    status: "状态",
    coupons: "我的优惠券",
    no_coupons: "目前没有可用的优惠券。",
    unused: "未使用",
    used: "已使用",
    allowance: "已用 {used} 次，共 {limit} 次，还剩 {left} 次",
    valid_until: "有效期至 {}",
    consent: "我的同意",
    consent_given: "您于 {} 同意。",
    consent_meaning: "同意后，{}可以向您发送优惠信息，并将您的订单与您关联。",
    withdraw: "撤回同意",
    consent_withdrawn: "您已于 {} 撤回同意：我们不会再向您发送优惠信息。",
    sign_out: "退出登录",
    erase_title: "删除我的数据",
    erase_intro: "这将删除您的手机号、邮箱和姓名，以及订单上的姓名和备注，并在所有设备上退出登录。店铺只保留不含您身份的订单数据。此操作无法撤销。",
    erase_send: "发送验证码以删除我的数据",
    erase_code_sent: "请输入发送到 {} 的 6 位验证码以确认，10 分钟内有效。",
    erase_confirm: "立即删除我的数据",
    cancel: "保留我的数据",
    erased_title: "您的数据已删除",
    erased_body: "您的手机号、邮箱和姓名已删除，您已退出登录。感谢您曾经是我们的会员。",
    back_to_menu: "返回菜单",
};

impl AccountWords {
    /// The words for `lang` (`zh`, `zh-Hans`… or English for any other language).
    pub fn of(lang: &str) -> &'static AccountWords {
        if lang == "zh" || lang.starts_with("zh-") {
            &CHINESE
        } else {
            &ENGLISH
        }
    }
}

/// One of the member's codes, as the account shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeLine {
    pub code: String,
    /// What it gives, in the page's language.
    pub offer: String,
    pub used: bool,
    pub valid_until: Option<DateTime<Utc>>,
}

/// A coupon with a per-member allowance, and how much of it the member used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Allowance {
    pub coupon: String,
    pub offer: String,
    pub used: u32,
    pub limit: u32,
    pub valid_until: Option<DateTime<Utc>>,
}

/// What the account page shows.
#[derive(Debug, Clone)]
pub struct Account<'a> {
    pub member: &'a Member,
    /// Newest first.
    pub orders: &'a [Order],
    pub codes: Vec<CodeLine>,
    pub allowances: Vec<Allowance>,
}

/// The language of the account pages: `asked` when the site has it, else the site's first.
pub fn choose_lang(site: &Site, asked: Option<&str>) -> String {
    asked
        .filter(|lang| site.settings.languages.iter().any(|l| l == lang))
        .unwrap_or_else(|| site.default_language())
        .to_owned()
}

fn shop(site: &Site, lang: &str) -> String {
    site.settings
        .name
        .get(lang, site.default_language())
        .to_owned()
}

fn lang_field(lang: &str) -> String {
    format!(
        "<input type=\"hidden\" name=\"lang\" value=\"{}\">\n",
        safe_lang(lang)
    )
}

/// The problem a form ran into, in words, above the form.
fn problem_block(out: &mut String, problem: Option<&Problem>) {
    let Some(problem) = problem else {
        return;
    };
    let _ = write!(
        out,
        "<div class=\"problem\" role=\"alert\">\n<p><strong>{}</strong></p>\n",
        escape(problem.title)
    );
    if problem.errors.is_empty() {
        let _ = writeln!(out, "<p>{}</p>", escape(&problem.detail));
    } else {
        out.push_str("<ul>\n");
        for error in &problem.errors {
            let _ = writeln!(out, "<li>{}</li>", escape(&error.reason));
        }
        out.push_str("</ul>\n");
    }
    out.push_str("</div>\n");
}

fn day(site: &Site, at: DateTime<Utc>) -> String {
    at.with_timezone(&site.settings.timezone)
        .format("%Y-%m-%d")
        .to_string()
}

/// Signed out: the address to send a code to.
pub fn sign_in_page(lang: &str, address: &str, problem: Option<&Problem>) -> String {
    let words = AccountWords::of(lang);
    let mut body = String::new();
    let _ = writeln!(
        body,
        "<h1>{}</h1>\n<h2>{}</h2>\n<p>{}</p>",
        words.title, words.sign_in_title, words.sign_in_intro
    );
    problem_block(&mut body, problem);
    let _ = write!(
        body,
        "<form method=\"post\" action=\"{ACCOUNT_PATH}/code\">\n{}\
         <p><label for=\"address\">{}</label><br>\n\
         <input id=\"address\" name=\"address\" type=\"text\" required maxlength=\"254\" \
         autocomplete=\"email\" value=\"{}\"></p>\n\
         <p><button type=\"submit\">{}</button></p>\n</form>\n",
        lang_field(lang),
        words.address_label,
        escape(address),
        words.send_code
    );
    page(lang, words.title, &body)
}

/// The code sent to `address` (`phone` or `email` says how), with the consent a new
/// member gives.
pub fn code_page(
    site: &Site,
    lang: &str,
    address: &str,
    sent_to: &str,
    problem: Option<&Problem>,
) -> String {
    let words = AccountWords::of(lang);
    let by = if sent_to == "phone" {
        words.by_phone
    } else {
        words.by_email
    };
    let mut body = String::new();
    let _ = writeln!(
        body,
        "<h1>{}</h1>\n<p>{}</p>",
        words.code_title,
        words.code_sent.replace("{}", by)
    );
    problem_block(&mut body, problem);
    let _ = write!(
        body,
        "<form method=\"post\" action=\"{ACCOUNT_PATH}/verify\">\n{}\
         <input type=\"hidden\" name=\"address\" value=\"{}\">\n\
         <p><label for=\"code\">{}</label><br>\n\
         <input id=\"code\" name=\"code\" type=\"text\" inputmode=\"numeric\" \
         autocomplete=\"one-time-code\" pattern=\"[0-9]{{6}}\" maxlength=\"6\" required></p>\n\
         <p><label><input type=\"checkbox\" name=\"consent\" value=\"yes\"> {}</label></p>\n\
         <p><button type=\"submit\">{}</button></p>\n</form>\n\
         <p><a href=\"{ACCOUNT_PATH}?lang={}\">{}</a></p>\n",
        lang_field(lang),
        escape(address),
        words.code_label,
        words
            .consent_label
            .replace("{}", &escape(&shop(site, lang))),
        words.sign_in,
        safe_lang(lang),
        words.another_address
    );
    page(lang, words.code_title, &body)
}

fn orders_block(out: &mut String, site: &Site, lang: &str, orders: &[Order]) {
    let words = AccountWords::of(lang);
    let page_words = Words::of(lang);
    let _ = writeln!(out, "<section id=\"orders\">\n<h2>{}</h2>", words.orders);
    if orders.is_empty() {
        let _ = writeln!(out, "<p>{}</p>\n</section>", words.no_orders);
        return;
    }
    let _ = writeln!(
        out,
        "<table>\n<tr><th>{}</th><th>{}</th><th class=\"amount\">{}</th><th>{}</th></tr>",
        words.order, words.date, words.total, words.status
    );
    for order in orders {
        let placed = order.times.received.or(order.history.first().map(|h| h.at));
        let _ = writeln!(
            out,
            "<tr class=\"order\"><td><a href=\"{ACCOUNT_PATH}/orders/{}?lang={}\">{}</a></td>\
             <td>{}</td><td class=\"amount\">{}</td><td>{}</td></tr>",
            escape(&urlencoding_path(&order.id)),
            safe_lang(lang),
            escape(&order.number),
            placed.map(|at| local_time(site, at)).unwrap_or_default(),
            money(site, order.quote.total),
            page_words.status(order.status)
        );
    }
    out.push_str("</table>\n</section>\n");
}

/// An id as one path segment: ids are `ord_…` letters and digits; anything else is
/// percent-encoded so it cannot leave the segment.
fn urlencoding_path(id: &str) -> String {
    id.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b == b'_' || b == b'-' {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn coupons_block(out: &mut String, site: &Site, lang: &str, account: &Account<'_>) {
    let words = AccountWords::of(lang);
    let _ = writeln!(out, "<section id=\"coupons\">\n<h2>{}</h2>", words.coupons);
    if account.codes.is_empty() && account.allowances.is_empty() {
        let _ = writeln!(out, "<p>{}</p>\n</section>", words.no_coupons);
        return;
    }
    out.push_str("<ul>\n");
    let until = |at: Option<DateTime<Utc>>| {
        at.map(|at| format!(" · {}", words.valid_until.replace("{}", &day(site, at))))
            .unwrap_or_default()
    };
    for code in &account.codes {
        let state = if code.used { words.used } else { words.unused };
        let _ = writeln!(
            out,
            "<li class=\"code\" data-used=\"{}\"><strong><code>{}</code></strong> — {} · {}{}</li>",
            code.used,
            escape(&code.code),
            escape(&code.offer),
            state,
            until(code.valid_until)
        );
    }
    for allowance in &account.allowances {
        let used = words
            .allowance
            .replace("{used}", &allowance.used.to_string())
            .replace("{limit}", &allowance.limit.to_string())
            .replace(
                "{left}",
                &allowance.limit.saturating_sub(allowance.used).to_string(),
            );
        let _ = writeln!(
            out,
            "<li class=\"allowance\"><strong><code>{}</code></strong> — {} · {}{}</li>",
            escape(&allowance.coupon),
            escape(&allowance.offer),
            used,
            until(allowance.valid_until)
        );
    }
    out.push_str("</ul>\n</section>\n");
}

fn consent_block(out: &mut String, site: &Site, lang: &str, member: &Member) {
    let words = AccountWords::of(lang);
    let _ = writeln!(out, "<section id=\"consent\">\n<h2>{}</h2>", words.consent);
    match member.consent_withdrawn_at {
        Some(at) => {
            let _ = writeln!(
                out,
                "<p>{}</p>",
                words.consent_withdrawn.replace("{}", &day(site, at))
            );
        }
        None => {
            let _ = write!(
                out,
                "<p>{} {}</p>\n\
                 <form method=\"post\" action=\"{ACCOUNT_PATH}/consent\">\n{}\
                 <p><button type=\"submit\">{}</button></p>\n</form>\n",
                words
                    .consent_given
                    .replace("{}", &day(site, member.consent_at)),
                words
                    .consent_meaning
                    .replace("{}", &escape(&shop(site, lang))),
                lang_field(lang),
                words.withdraw
            );
        }
    }
    out.push_str("</section>\n");
}

/// Signed in: orders, coupons, consent, sign-out and "delete my data".
pub fn account_page(site: &Site, lang: &str, account: &Account<'_>) -> String {
    let words = AccountWords::of(lang);
    let member = account.member;
    let who = member
        .email
        .as_deref()
        .or(member.phone.as_deref())
        .unwrap_or(&member.id);
    let mut body = String::new();
    let _ = writeln!(
        body,
        "<h1>{}</h1>\n<p>{}</p>",
        words.title,
        words.signed_in_as.replace("{}", &escape(who))
    );
    orders_block(&mut body, site, lang, account.orders);
    coupons_block(&mut body, site, lang, account);
    consent_block(&mut body, site, lang, member);
    let _ = write!(
        body,
        "<div id=\"sign-out\">\n<form method=\"post\" action=\"{ACCOUNT_PATH}/sign-out\">\n{}\
         <p><button type=\"submit\">{}</button></p>\n</form>\n</div>\n\
         <section id=\"erase\">\n<h2>{}</h2>\n<p>{}</p>\n\
         <form method=\"post\" action=\"{ACCOUNT_PATH}/erase\">\n{}\
         <p><button type=\"submit\">{}</button></p>\n</form>\n</section>\n\
         <p><a href=\"/\">{}</a></p>\n",
        lang_field(lang),
        words.sign_out,
        words.erase_title,
        words.erase_intro,
        lang_field(lang),
        words.erase_send,
        words.back_to_menu
    );
    page(lang, words.title, &body)
}

/// "Delete my data": the fresh code sent to `address`, to confirm.
pub fn erase_code_page(lang: &str, address: &str, problem: Option<&Problem>) -> String {
    let words = AccountWords::of(lang);
    let mut body = String::new();
    let _ = writeln!(
        body,
        "<h1>{}</h1>\n<p>{}</p>\n<p>{}</p>",
        words.erase_title,
        words.erase_intro,
        words.erase_code_sent.replace("{}", &escape(address))
    );
    problem_block(&mut body, problem);
    let _ = write!(
        body,
        "<form method=\"post\" action=\"{ACCOUNT_PATH}/erase/confirm\">\n{}\
         <p><label for=\"code\">{}</label><br>\n\
         <input id=\"code\" name=\"code\" type=\"text\" inputmode=\"numeric\" \
         autocomplete=\"one-time-code\" pattern=\"[0-9]{{6}}\" maxlength=\"6\" required></p>\n\
         <p><button type=\"submit\">{}</button></p>\n</form>\n\
         <p><a href=\"{ACCOUNT_PATH}?lang={}\">{}</a></p>\n",
        lang_field(lang),
        words.code_label,
        words.erase_confirm,
        safe_lang(lang),
        words.cancel
    );
    page(lang, words.erase_title, &body)
}

/// After an erasure.
pub fn erased_page(lang: &str) -> String {
    let words = AccountWords::of(lang);
    let body = format!(
        "<h1>{}</h1>\n<p>{}</p>\n<p><a href=\"/\">{}</a></p>\n",
        words.erased_title, words.erased_body, words.back_to_menu
    );
    page(lang, words.erased_title, &body)
}

/// A problem on a page of its own (no session for a form that needs one, a cross-site
/// post), with the way back to the account.
pub fn problem_page(lang: &str, problem: &Problem) -> String {
    let words = AccountWords::of(lang);
    let mut body = format!("<h1>{}</h1>\n", words.title);
    problem_block(&mut body, Some(problem));
    let _ = writeln!(
        body,
        "<p><a href=\"{ACCOUNT_PATH}?lang={}\">{}</a></p>",
        safe_lang(lang),
        words.title
    );
    page(lang, problem.title, &body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_stays_one_path_segment() {
        assert_eq!(urlencoding_path("ord_ab12"), "ord_ab12");
        assert_eq!(urlencoding_path("../x?y"), "%2E%2E%2Fx%3Fy");
    }
}
