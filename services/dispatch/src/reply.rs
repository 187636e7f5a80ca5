//! Replies to the reporter (答复规范): each town keeps, per category, the headings a unit's reply
//! must fill — what was done, by whom, on what basis — and a resolution is refused until every
//! heading has something under it. The reply is what the reporter reads on the tracking page.

use crate::model::Category;
use wuguan_platform::error::{ServiceError, ServiceResult};

/// Hotline practice: a reply says what was done, who did it, and the rule or agreement it rests on.
pub const DEFAULT_HEADINGS: [&str; 3] = ["办理结果", "办理单位及人员", "办理依据"];
pub const DEFAULT_GUIDANCE: &str = "写明做了什么、由谁办理、依据哪条法规或合同约定；用居民读得懂的话，不写内部流程。";

const MAX_HEADINGS: usize = 8;
const MAX_HEADING_CHARS: usize = 20;
const MAX_GUIDANCE_CHARS: usize = 500;
const MAX_REPLY_CHARS: usize = 2000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplyTemplate {
    pub town: String,
    pub category: Category,
    pub headings: Vec<String>,
    pub guidance: String,
    /// False: the built-in template.
    pub customised: bool,
    pub updated_by: String,
    pub updated_at_ms: i64,
}

/// A heading at the start of a line, and what follows its colon (full-width or not).
fn heading_line<'a>(line: &'a str, heading: &str) -> Option<&'a str> {
    let rest = line.trim_start().strip_prefix(heading)?;
    rest.trim_start().strip_prefix('：').or_else(|| rest.trim_start().strip_prefix(':'))
}

impl ReplyTemplate {
    pub fn built_in(town: &str, category: Category) -> ReplyTemplate {
        ReplyTemplate {
            town: town.to_owned(),
            category,
            headings: DEFAULT_HEADINGS.iter().map(|h| (*h).to_owned()).collect(),
            guidance: DEFAULT_GUIDANCE.to_owned(),
            customised: false,
            updated_by: String::new(),
            updated_at_ms: 0,
        }
    }

    /// Every category's template for a town: its own where it set one, the built-in elsewhere.
    pub fn for_every_category(town: &str, stored: Vec<ReplyTemplate>) -> Vec<ReplyTemplate> {
        Category::ALL
            .iter()
            .map(|c| stored.iter().find(|t| t.category == *c).cloned().unwrap_or_else(|| Self::built_in(town, *c)))
            .collect()
    }

    /// Trimmed, with its headings checked: 1 to 8, each 1 to 20 characters of one line without a
    /// colon (the colon ends a heading in a reply), none twice.
    pub fn validated(mut self) -> ServiceResult<ReplyTemplate> {
        self.headings = self.headings.iter().map(|h| h.trim().to_owned()).collect();
        self.guidance = self.guidance.trim().to_owned();
        if self.headings.is_empty() || self.headings.len() > MAX_HEADINGS {
            return Err(ServiceError::invalid("headings", format!("a template has 1 to {MAX_HEADINGS} headings")));
        }
        for (i, h) in self.headings.iter().enumerate() {
            let field = format!("headings[{i}]");
            if h.is_empty() || h.chars().count() > MAX_HEADING_CHARS {
                return Err(ServiceError::invalid(
                    &field,
                    format!("a heading has 1 to {MAX_HEADING_CHARS} characters"),
                ));
            }
            if h.chars().any(|c| c == '：' || c == ':' || c.is_control()) {
                return Err(ServiceError::invalid(field.as_str(), "a heading may not hold a colon or a line break"));
            }
            if self.headings[..i].contains(h) {
                return Err(ServiceError::invalid(field.as_str(), format!("the heading {h} is given twice")));
            }
        }
        if self.guidance.chars().count() > MAX_GUIDANCE_CHARS {
            return Err(ServiceError::invalid(
                "guidance",
                format!("guidance must be at most {MAX_GUIDANCE_CHARS} characters"),
            ));
        }
        Ok(self)
    }

    /// The reply, trimmed, if every heading starts a line ("办理结果：…") with something under
    /// it before the next heading; INVALID_ARGUMENT on `reply` naming the first one left empty.
    pub fn checked_reply(&self, reply: &str) -> ServiceResult<String> {
        let reply = reply.trim();
        if reply.is_empty() {
            return Err(ServiceError::invalid(
                "reply",
                format!("a reply to the reporter is required, with the headings {}", self.headings.join("、")),
            ));
        }
        if reply.chars().count() > MAX_REPLY_CHARS {
            return Err(ServiceError::invalid("reply", format!("reply must be at most {MAX_REPLY_CHARS} characters")));
        }
        let lines: Vec<&str> = reply.lines().collect();
        for heading in &self.headings {
            let Some(at) = lines.iter().position(|l| heading_line(l, heading).is_some()) else {
                return Err(ServiceError::invalid("reply", format!("the reply must have a line starting {heading}：")));
            };
            let own = heading_line(lines[at], heading).unwrap_or_default().trim();
            let below = lines[at + 1..]
                .iter()
                .take_while(|l| !self.headings.iter().any(|h| heading_line(l, h).is_some()))
                .any(|l| !l.trim().is_empty());
            if own.is_empty() && !below {
                return Err(ServiceError::invalid("reply", format!("nothing is written under {heading}")));
            }
        }
        Ok(reply.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wuguan_platform::ErrorCode;

    fn template() -> ReplyTemplate {
        ReplyTemplate::built_in("t", Category::Repair)
    }

    #[test]
    fn a_reply_fills_every_heading() {
        let ok = "办理结果：已更换电梯门机\n办理单位及人员：恒安物业 钱经理\n办理依据：物业服务合同第十二条";
        assert_eq!(template().checked_reply(ok).unwrap(), ok);
        // Text on the following lines counts; a half-width colon too.
        let below = "办理结果:\n  已更换门机\n办理单位及人员：恒安物业\n办理依据：合同";
        assert!(template().checked_reply(below).is_ok());
        for bad in
            ["", "已修好", "办理结果：已修好\n办理单位及人员：恒安物业\n办理依据：", "办理结果：已修好\n办理依据：合同"]
        {
            let err = template().checked_reply(bad).err().unwrap();
            assert_eq!((err.code, err.field.as_deref()), (ErrorCode::InvalidArgument, Some("reply")), "{bad:?}");
        }
        let err = template().checked_reply("办理结果：已修好\n办理单位及人员：恒安物业\n办理依据：").err().unwrap();
        assert!(err.message.contains("办理依据"), "{}", err.message);
    }

    #[test]
    fn templates_are_checked() {
        let t = |headings: &[&str]| {
            ReplyTemplate { headings: headings.iter().map(|h| (*h).to_owned()).collect(), ..template() }.validated()
        };
        assert_eq!(t(&[]).err().unwrap().field.as_deref(), Some("headings"));
        assert_eq!(t(&["结果", "结果"]).err().unwrap().field.as_deref(), Some("headings[1]"));
        assert_eq!(t(&["结果：", "x"]).err().unwrap().field.as_deref(), Some("headings[0]"));
        assert_eq!(t(&[" 结果 "]).unwrap().headings, vec!["结果"]);
    }
}
