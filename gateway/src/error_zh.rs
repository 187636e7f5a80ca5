//! The Chinese sentence of an error, for people: the console shows it and every JSON error body
//! carries it as `message_zh` beside the English `message` integrators match on.
//!
//! The services' messages follow a few shapes ("{field} is required", "{field} must be at most N
//! characters", "unknown {field} …"); the sentence is built from the shape and the field's
//! Chinese name, so it says what to correct without any English reaching a page. A message of
//! no known shape still gets a sentence naming the field.

use wuguan_platform::{ErrorCode, ServiceError};

/// The Chinese name of every field an error can name (request bodies, query strings, forms).
const FIELD_LABELS: &[(&str, &str)] = &[
    ("access_control", "门禁"),
    ("address", "地址"),
    ("anonymous", "匿名"),
    ("authorization", "登录凭证"),
    ("bands", "等级分数线"),
    ("body", "提交的内容"),
    ("built_floor_area_m2", "已建面积"),
    ("cameras", "监控数量"),
    ("category", "问题类别"),
    ("code", "代码"),
    ("community", "所属社区"),
    ("community_id", "所属社区"),
    ("cookie", "浏览器凭证"),
    ("csv", "导入文件"),
    ("current_password", "当前密码"),
    ("date", "日期"),
    ("days", "节假日安排"),
    ("days[].date", "日期"),
    ("days[].kind", "日期类型"),
    ("days[].name", "节日名称"),
    ("deadline", "办结时限"),
    ("description", "问题描述"),
    ("designed_households", "设计户数"),
    ("estate_id", "小区"),
    ("expected_version", "版本号"),
    ("fences_and_gates", "围墙大门"),
    ("findings", "督查发现"),
    ("focus", "督查重点"),
    ("format", "格式"),
    ("from", "起始日期"),
    ("guards", "保安人数"),
    ("guidance", "填写要求"),
    ("headings", "必填项目"),
    ("headings[]", "必填项目"),
    ("headers", "请求头"),
    ("idempotency_key", "重复提交标识"),
    ("initial_level", "初始督办层级"),
    ("inspection_id", "督查记录"),
    ("into_id", "合并到的诉求"),
    ("is_old_estate", "老旧小区"),
    ("items", "考核细则条目"),
    ("kind", "督查方式"),
    ("level", "督办层级"),
    ("management_mode", "管理方式"),
    ("measures", "措施"),
    ("measures_taken", "已采取的措施"),
    ("month", "月份"),
    ("name", "名称"),
    ("name_contains", "名称关键字"),
    ("new_password", "新密码"),
    ("note", "说明"),
    ("office_end", "下班时间"),
    ("office_start", "上班时间"),
    ("occupied_households", "入住户数"),
    ("open_only", "仅未办结"),
    ("overdue", "超期"),
    ("owners_committee", "业主委员会"),
    ("page_size", "每页条数"),
    ("page_token", "翻页位置"),
    ("password", "密码"),
    ("period", "考核期"),
    ("person_id", "责任人"),
    ("plan_id", "督查计划"),
    ("planned_floor_area_m2", "规划建筑面积"),
    ("property_company", "物业公司"),
    ("property_company_id", "物业公司"),
    ("reason", "原因"),
    ("reason_code", "退单原因"),
    ("reasons", "退单原因"),
    ("reasons[].code", "退单原因代码"),
    ("reasons[].label", "退单原因名称"),
    ("reply", "答复"),
    ("reported_at", "反映时间"),
    ("reporter_name", "反映人姓名"),
    ("reporter_phone", "联系电话"),
    ("residents", "居住人口"),
    ("resolution_amount", "办结时限"),
    ("resolution_unit", "办结时限单位"),
    ("response_amount", "响应时限"),
    ("response_unit", "响应时限单位"),
    ("resolve_by", "办结时限"),
    ("role", "角色"),
    ("rule", "派单规则"),
    ("satisfaction", "满意度"),
    ("sign_amount", "签收时限"),
    ("sign_unit", "签收时限单位"),
    ("source", "来源"),
    ("status", "状态"),
    ("target", "派往单位"),
    ("to", "截止日期"),
    ("town", "镇"),
    ("tracking_code", "查询码"),
    ("unit_id", "单位"),
    ("unit_type", "单位类型"),
    ("username", "用户名"),
    ("year", "年份"),
];

/// Where one name means two things, the ledger's meaning (the estate's creation target, not a
/// routing rule's target unit).
const LEDGER_LABELS: &[(&str, &str)] = &[("target", "创建目标")];

/// The Chinese name of a ledger field (estate form, CSV import, change log): the ledger's own
/// meaning where a name has two, otherwise the one label of [`field_label`].
pub fn ledger_field_label(field: &str) -> Option<&'static str> {
    let last = field.rsplit(['.', ']']).next().unwrap_or(field);
    LEDGER_LABELS.iter().find(|(f, _)| *f == last).map(|(_, l)| *l).or_else(|| field_label(field))
}

/// A ledger validation message (the registry's) as a person reads it.
pub fn ledger_message_zh(field: &str, message: &str) -> String {
    match ledger_field_label(field) {
        Some(label) => sentence(label, message),
        None => invalid_zh(None, message),
    }
}

/// The Chinese name of a field, if it is one people fill in.
pub fn field_label(field: &str) -> Option<&'static str> {
    // An item of a list has its own name where it needs one (`days[3].kind` → `days[].kind`);
    // otherwise a CSV column or a nested field names its last part (`rows[3].name` → 名称).
    let item = without_indexes(field);
    let last = field.rsplit(['.', ']']).next().unwrap_or(field);
    FIELD_LABELS
        .iter()
        .find(|(f, _)| *f == field || *f == item)
        .or_else(|| FIELD_LABELS.iter().find(|(f, _)| *f == last))
        .map(|(_, l)| *l)
}

/// `days[3].kind` as `days[].kind`.
fn without_indexes(field: &str) -> String {
    let mut out = String::with_capacity(field.len());
    let mut in_index = false;
    for c in field.chars() {
        match c {
            '[' => in_index = true,
            ']' => in_index = false,
            _ if in_index => continue,
            _ => {}
        }
        out.push(c);
    }
    out
}

/// The error as a person reads it.
pub fn message_zh(e: &ServiceError) -> String {
    match e.code {
        ErrorCode::InvalidArgument => invalid_zh(e.field.as_deref(), &e.message),
        ErrorCode::Unauthenticated => "请先登录，或登录已过期，请重新登录。".to_owned(),
        ErrorCode::PermissionDenied => "您没有权限进行此操作。".to_owned(),
        ErrorCode::NotFound => "没有找到，或您无权查看。".to_owned(),
        ErrorCode::AlreadyExists => "已有相同的记录，请勿重复添加。".to_owned(),
        ErrorCode::FailedPrecondition => "当前状态不允许此操作，请刷新页面查看最新状态。".to_owned(),
        ErrorCode::Aborted => "记录刚被他人修改，请刷新后重试。".to_owned(),
        ErrorCode::ResourceExhausted | ErrorCode::Unavailable | ErrorCode::DeadlineExceeded => {
            "服务暂时繁忙，请稍后再试。".to_owned()
        }
        ErrorCode::PayloadTooLarge => "提交的内容过大，请拆分后再提交。".to_owned(),
        ErrorCode::Internal => "系统出现内部错误，请稍后再试；如仍不行请联系管理员。".to_owned(),
    }
}

fn invalid_zh(field: Option<&str>, message: &str) -> String {
    match field.and_then(field_label) {
        Some(label) => sentence(label, message),
        None => "填写的内容有误，请检查后重试。".to_owned(),
    }
}

/// "「label」what is wrong." from the shape of the English message.
fn sentence(label: &str, message: &str) -> String {
    let other_field = || {
        let other = message.rsplit(' ').next().unwrap_or("");
        ledger_field_label(other).unwrap_or("另一项")
    };
    let number = || message.split(|c: char| !c.is_ascii_digit()).find(|s| !s.is_empty()).unwrap_or("");
    let what = if message.contains("is required when management_mode is property_company") {
        "在管理方式为物业公司时必填".to_owned()
    } else if message.contains("must be empty unless management_mode is property_company") {
        "在管理方式不是物业公司时应为空".to_owned()
    } else if message.contains("must not exceed") {
        format!("不能大于「{}」", other_field())
    } else if message.contains("must be 0 when no household is occupied") {
        "在入住户数为 0 时应为 0".to_owned()
    } else if message.contains("implausibly large") {
        "数值过大，请核实".to_owned()
    } else if message.contains(" is required") || message.contains("must not be empty") {
        "不能为空".to_owned()
    } else if message.contains("must be at most") && message.contains("characters") {
        format!("最多 {} 个字", number())
    } else if message.contains("must be at least") && message.contains("characters") {
        format!("至少 {} 个字符", number())
    } else if message.contains("lower-case letters") {
        "应为 2–32 位小写字母、数字、- 或 _".to_owned()
    } else if message.starts_with("unknown ") || message.contains(" must be ") && message.contains(" or ") {
        "不在可选范围内，请从列表中选择".to_owned()
    } else if let Some(heading) = message.split("must have a line starting ").nth(1) {
        format!("缺少“{}”一项（每项单独一行，写在冒号后）", heading.trim_end_matches('：'))
    } else if let Some(heading) = message.strip_prefix("nothing is written under ") {
        format!("“{heading}”一项未填写")
    } else if message.contains("a template has 1 to") {
        let most = message.split(|c: char| !c.is_ascii_digit()).rfind(|s| !s.is_empty()).unwrap_or("");
        format!("应有 1 到 {most} 项")
    } else if message.contains("a heading has 1 to") {
        "每项 1 到 20 个字".to_owned()
    } else if message.contains("may not hold a colon") {
        "项目名称不能含冒号或换行".to_owned()
    } else if message.contains("is given twice") {
        "同一项目填写了两次".to_owned()
    } else if message.contains("direction-changing or invisible characters") {
        "不能含控制字符、文字方向控制符或不可见字符".to_owned()
    } else if message.contains("make-up working day") {
        "只有周六、周日可设为调休上班日".to_owned()
    } else if message.contains("is listed twice") {
        "同一日期填写了两次".to_owned()
    } else if message.contains(" is not in ") {
        "不在所设的年份内".to_owned()
    } else if message.contains("office hours must open") {
        "上班时间应比下班时间早至少一小时".to_owned()
    } else if message.contains("HH:MM") {
        "应为时间，格式如 08:30".to_owned()
    } else if message.contains("at least as long as the response limit") {
        "不能短于响应时限".to_owned()
    } else if message.contains("_amount must be 1..=") {
        format!("应在 1 到 {} 之间", message.split("..=").nth(1).and_then(|r| r.split(' ').next()).unwrap_or(""))
    } else if message.contains("year must be within") {
        "超出可设的年份范围".to_owned()
    } else if message.contains("YYYY-MM-DD") {
        "应为日期，格式如 2026-12-01".to_owned()
    } else if message.contains("YYYY-MM") {
        "应为月份，格式如 2026-12".to_owned()
    } else if message.contains("RFC 3339") {
        "应为日期时间，格式如 2026-12-01T18:00:00+08:00".to_owned()
    } else if message.starts_with("no such ") || message.starts_with("no ") && message.contains(" named ") {
        "在本镇没有找到".to_owned()
    } else if message.contains("phone number") {
        "应为电话号码（数字，可含 - 或 +）".to_owned()
    } else if message.contains("not a valid id") || message.contains("malformed") {
        "无效，请从页面重新进入".to_owned()
    } else if message.contains("must not be negative") {
        "不能为负数".to_owned()
    } else if message.contains("whole number") {
        "应为整数".to_owned()
    } else if message.contains("must not be before") {
        "不能早于起始日期".to_owned()
    } else if message.contains("future date") {
        "不能晚于今天".to_owned()
    } else if message.contains("at most") {
        format!("超出上限（最多 {}）", number())
    } else {
        "填写有误，请检查后重试".to_owned()
    };
    format!("「{label}」{what}。")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zh(field: &str, message: &str) -> String {
        message_zh(&ServiceError::invalid(field, message))
    }

    #[test]
    fn hidden_characters_read_in_chinese() {
        assert_eq!(
            zh("name", "name must not contain control, direction-changing or invisible characters"),
            "「名称」不能含控制字符、文字方向控制符或不可见字符。"
        );
    }

    #[test]
    fn replies_and_their_templates_read_in_chinese() {
        assert_eq!(
            zh("reply", "the reply must have a line starting 办理依据："),
            "「答复」缺少“办理依据”一项（每项单独一行，写在冒号后）。"
        );
        assert_eq!(zh("reply", "nothing is written under 办理结果"), "「答复」“办理结果”一项未填写。");
        assert_eq!(zh("headings", "a template has 1 to 8 headings"), "「必填项目」应有 1 到 8 项。");
        assert_eq!(zh("headings[2]", "the heading 结果 is given twice"), "「必填项目」同一项目填写了两次。");
        assert_eq!(
            zh("headings[0]", "a heading may not hold a colon or a line break"),
            "「必填项目」项目名称不能含冒号或换行。"
        );
    }

    #[test]
    fn the_common_shapes_read_in_chinese() {
        assert_eq!(zh("month", "month must be YYYY-MM"), "「月份」应为月份，格式如 2026-12。");
        assert_eq!(zh("note", "note must be at most 2000 characters"), "「说明」最多 2000 个字。");
        assert_eq!(zh("town", "town is required"), "「镇」不能为空。");
        assert_eq!(
            zh("category", "unknown category \"x\": one of a, b"),
            "「问题类别」不在可选范围内，请从列表中选择。"
        );
        assert_eq!(zh("unit_id", "no such unit in this town"), "「单位」在本镇没有找到。");
        assert_eq!(zh("rows[3].name", "name is required"), "「名称」不能为空。");
        assert_eq!(zh("no_such_field", "whatever"), "填写的内容有误，请检查后重试。");
        assert_eq!(
            zh("days[4].kind", "2026-12-09 is a weekday: only a Saturday or Sunday can be a make-up working day"),
            "「日期类型」只有周六、周日可设为调休上班日。"
        );
        assert_eq!(zh("kind", "unknown kind 9"), "「督查方式」不在可选范围内，请从列表中选择。");
        assert_eq!(
            zh("response_amount", "response_amount must be 1..=60 working_days"),
            "「响应时限」应在 1 到 60 之间。"
        );
    }

    #[test]
    fn ledger_messages_name_the_other_field_and_the_condition() {
        assert_eq!(
            ledger_message_zh("occupied_households", "occupied_households must not exceed designed_households"),
            "「入住户数」不能大于「设计户数」。"
        );
        assert_eq!(
            ledger_message_zh(
                "property_company_id",
                "property_company_id is required when management_mode is property_company"
            ),
            "「物业公司」在管理方式为物业公司时必填。"
        );
        assert_eq!(ledger_message_zh("target", "unknown target \"x\""), "「创建目标」不在可选范围内，请从列表中选择。");
        assert_eq!(zh("target", "target is required"), "「派往单位」不能为空。");
        assert_eq!(ledger_message_zh("guards", "guards is implausibly large"), "「保安人数」数值过大，请核实。");
    }

    #[test]
    fn no_sentence_holds_latin_letters_beyond_format_examples() {
        for code in [ErrorCode::NotFound, ErrorCode::FailedPrecondition, ErrorCode::Aborted, ErrorCode::Internal] {
            let text = message_zh(&ServiceError::new(code, "english"));
            assert!(!text.chars().any(|c| c.is_ascii_alphabetic()), "{text}");
        }
    }
}
