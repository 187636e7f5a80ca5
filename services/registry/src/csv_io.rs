//! CSV import and export of the estate ledger. Headers may be Chinese (`名称`), English
//! (`name`) or both as exported (`名称(name)`). Communities and property companies are named,
//! not referenced by id, because that is how a clerk's spreadsheet holds them.

use crate::model::*;
use crate::store::ImportRow;
use std::collections::HashMap;
use wuguan_platform::ServiceError;
use wuguan_platform::error::ServiceResult;
use wuguan_proto::registry::v1::RowError;

/// (English field name, Chinese header) in export order.
pub const COLUMNS: &[(&str, &str)] = &[
    ("name", "小区名称"),
    ("community", "所属社区"),
    ("address", "地址"),
    ("planned_floor_area_m2", "规划建筑面积(平方米)"),
    ("built_floor_area_m2", "已建面积(平方米)"),
    ("designed_households", "设计户数"),
    ("occupied_households", "入住户数"),
    ("residents", "入住人口"),
    ("is_old_estate", "老旧小区"),
    ("management_mode", "管理方式"),
    ("property_company", "物业公司"),
    ("owners_committee", "业主委员会"),
    ("target", "创建目标"),
    ("guards", "保安人数"),
    ("cameras", "监控摄像头"),
    ("access_control", "门禁"),
    ("fences_and_gates", "围墙大门"),
];

const REQUIRED: &[&str] = &[
    "name",
    "community",
    "planned_floor_area_m2",
    "built_floor_area_m2",
    "designed_households",
    "occupied_households",
    "residents",
];

/// A data row with its line number in the file (the header is line 1).
#[derive(Debug, Clone)]
pub struct CsvRow {
    pub line: u32,
    pub fields: HashMap<&'static str, String>,
}

pub struct Parsed {
    pub rows: Vec<CsvRow>,
    pub errors: Vec<RowError>,
}

fn field_for_header(header: &str) -> Option<&'static str> {
    let h = header.trim().trim_start_matches('\u{feff}').trim();
    // "中文(english)" as exported: the part in brackets is the field name.
    let inner = h.rsplit_once('(').and_then(|(_, rest)| rest.strip_suffix(')'));
    COLUMNS.iter().find_map(|(en, zh)| {
        let matches = h == *en || h == *zh || inner == Some(*en) || h.split('(').next() == zh.split('(').next();
        matches.then_some(*en)
    })
}

/// UTF-8 as exported, or GBK (GB18030) as Excel on a Chinese Windows saves "CSV".
fn decode(bytes: &[u8]) -> ServiceResult<std::borrow::Cow<'_, str>> {
    if let Ok(text) = std::str::from_utf8(bytes) {
        return Ok(text.into());
    }
    let (text, _, malformed) = encoding_rs::GB18030.decode(bytes);
    if malformed {
        return Err(ServiceError::invalid("csv", "csv must be UTF-8 or GBK text"));
    }
    Ok(text)
}

/// The line a byte offset is on, counting '\n' as editors and spreadsheets do. The csv crate's
/// own line count is one too low after CRLF line ends (what Excel writes); counted here, a
/// CRLF and an LF file report the same lines. Offsets only grow, so each byte is read once.
struct LineCounter<'a> {
    text: &'a [u8],
    byte: usize,
    line: u32,
}

impl<'a> LineCounter<'a> {
    fn new(text: &'a [u8]) -> Self {
        LineCounter { text, byte: 0, line: 1 }
    }

    /// The line a record starting at `byte` begins on. A record's offset can point at blank
    /// lines the reader skipped before it; a record never starts with a line end, so those are
    /// stepped over.
    fn line_at(&mut self, byte: u64) -> u32 {
        let mut to = usize::try_from(byte).unwrap_or(usize::MAX).min(self.text.len()).max(self.byte);
        while to < self.text.len() && matches!(self.text[to], b'\r' | b'\n') {
            to += 1;
        }
        self.line += self.text[self.byte..to].iter().filter(|b| **b == b'\n').count() as u32;
        self.byte = to;
        self.line
    }
}

pub fn parse(bytes: &[u8]) -> ServiceResult<Parsed> {
    let text = decode(bytes)?;
    let mut reader = csv::ReaderBuilder::new().flexible(true).trim(csv::Trim::All).from_reader(text.as_bytes());
    let headers =
        reader.headers().map_err(|e| ServiceError::invalid("csv", format!("unreadable header: {e}")))?.clone();
    let mut columns = Vec::with_capacity(headers.len());
    let mut errors = Vec::new();
    for h in headers.iter() {
        match field_for_header(h) {
            Some(f) if columns.contains(&Some(f)) => {
                errors.push(RowError { line: 1, field: f.into(), message: format!("column {h:?} appears twice") })
            }
            Some(f) => columns.push(Some(f)),
            None if h.trim().is_empty() => columns.push(None),
            None => errors.push(RowError { line: 1, field: h.into(), message: format!("unknown column {h:?}") }),
        }
    }
    for req in REQUIRED {
        if !columns.contains(&Some(*req)) {
            errors.push(RowError {
                line: 1,
                field: (*req).into(),
                message: format!("required column {req} is missing"),
            });
        }
    }
    if !errors.is_empty() {
        return Ok(Parsed { rows: Vec::new(), errors });
    }
    let mut rows = Vec::new();
    let mut lines = LineCounter::new(text.as_bytes());
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map(|p| lines.line_at(p.byte())).unwrap_or(0);
                errors.push(RowError { line, field: String::new(), message: format!("unreadable row: {e}") });
                continue;
            }
        };
        let line = record.position().map(|p| lines.line_at(p.byte())).unwrap_or(0);
        if record.iter().all(|v| v.is_empty()) {
            continue;
        }
        let mut fields = HashMap::new();
        for (i, value) in record.iter().enumerate() {
            if let Some(Some(f)) = columns.get(i) {
                fields.insert(*f, restored(value).to_owned());
            }
        }
        rows.push(CsvRow { line, fields });
        if rows.len() > 10_000 {
            return Err(ServiceError::invalid("csv", "at most 10000 rows per import"));
        }
    }
    Ok(Parsed { rows, errors })
}

fn int(row: &CsvRow, field: &'static str) -> ServiceResult<Option<i64>> {
    match row.fields.get(field).map(|s| s.replace([',', '，'], "")) {
        None => Ok(None),
        Some(s) if s.is_empty() => Ok(None),
        Some(s) => s
            .parse::<i64>()
            .map(Some)
            .map_err(|_| ServiceError::invalid(field, format!("{field} must be a whole number, got {s:?}"))),
    }
}

fn uint(row: &CsvRow, field: &'static str) -> ServiceResult<Option<u32>> {
    match int(row, field)? {
        None => Ok(None),
        Some(v) => u32::try_from(v)
            .map(Some)
            .map_err(|_| ServiceError::invalid(field, format!("{field} must not be negative"))),
    }
}

fn boolean(row: &CsvRow, field: &'static str) -> ServiceResult<Option<bool>> {
    match row.fields.get(field).map(|s| s.trim()) {
        None | Some("") => Ok(None),
        Some("是" | "有" | "true" | "yes" | "1" | "Y" | "y") => Ok(Some(true)),
        Some("否" | "无" | "false" | "no" | "0" | "N" | "n") => Ok(Some(false)),
        Some(other) => Err(ServiceError::invalid(field, format!("{field} must be 是 or 否, got {other:?}"))),
    }
}

fn choice<T>(row: &CsvRow, field: &'static str, parse: fn(&str) -> Option<T>) -> ServiceResult<Option<T>> {
    match row.fields.get(field).map(|s| s.trim()) {
        None | Some("") => Ok(None),
        Some(v) => parse(v).map(Some).ok_or_else(|| ServiceError::invalid(field, format!("unknown {field} {v:?}"))),
    }
}

/// Turns a row into a validated create or update, resolving names to ids.
pub fn resolve(
    row: &CsvRow,
    communities: &[Community],
    companies: &[PropertyCompany],
    existing: &[Estate],
) -> ServiceResult<ImportRow> {
    let text = |f: &'static str| row.fields.get(f).map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
    let community_name =
        text("community").ok_or_else(|| ServiceError::invalid("community", "community is required"))?;
    let community = communities.iter().find(|c| c.name == community_name).ok_or_else(|| {
        ServiceError::invalid("community", format!("no community named {community_name:?} in this town"))
    })?;
    let property_company_id = match text("property_company") {
        None => None,
        Some(name) => Some(
            companies
                .iter()
                .find(|c| c.name == name)
                .ok_or_else(|| {
                    ServiceError::invalid("property_company", format!("no property company named {name:?}"))
                })?
                .id
                .clone(),
        ),
    };
    let mut management_mode = choice(row, "management_mode", ManagementMode::parse)?;
    if management_mode.is_none() && property_company_id.is_some() {
        management_mode = Some(ManagementMode::PropertyCompany);
    }
    let patch = EstatePatch {
        community_id: Some(community.id.clone()),
        name: text("name"),
        address: text("address"),
        planned_floor_area_m2: int(row, "planned_floor_area_m2")?,
        built_floor_area_m2: int(row, "built_floor_area_m2")?,
        designed_households: int(row, "designed_households")?,
        occupied_households: int(row, "occupied_households")?,
        residents: int(row, "residents")?,
        is_old_estate: boolean(row, "is_old_estate")?,
        management_mode,
        property_company_id: Some(property_company_id.unwrap_or_default()),
        owners_committee: choice(row, "owners_committee", OwnersCommittee::parse)?,
        target: choice(row, "target", EstateTarget::parse)?,
        guards: uint(row, "guards")?,
        cameras: uint(row, "cameras")?,
        access_control: boolean(row, "access_control")?,
        fences_and_gates: boolean(row, "fences_and_gates")?,
    };
    let name = patch.name.clone().ok_or_else(|| ServiceError::invalid("name", "name is required"))?;
    let current = existing.iter().find(|e| e.data.name == name).cloned();
    // Every required figure is in the row, so the row stands alone: validate it as a create.
    let mut data = crate::validate::apply_estate_patch(None, &patch)?;
    if patch.target.is_none()
        && let Some(cur) = &current
    {
        data.target = cur.data.target;
    }
    Ok(ImportRow { existing: current, data })
}

/// Characters that make a spreadsheet read a cell as a formula (OWASP's list, with the
/// full-width forms Excel also accepts in a Chinese locale).
const FORMULA_STARTS: &[char] = &['=', '+', '-', '@', '\t', '\r', '＝', '＋', '－', '＠'];

/// A person's text as a cell a spreadsheet shows and never runs: one that would start a formula
/// (`=HYPERLINK(…)`, `@SUM(…)`) is prefixed with an apostrophe, which Excel and WPS hide.
fn neutralised(text: &str) -> String {
    if text.starts_with(FORMULA_STARTS) { format!("'{text}") } else { text.to_owned() }
}

/// A cell as imported: the apostrophe `neutralised` added comes off again, so an exported
/// ledger imports unchanged.
fn restored(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(FORMULA_STARTS) => rest,
        _ => cell,
    }
}

fn yes_no(b: bool) -> &'static str {
    if b { "是" } else { "否" }
}

pub fn export(estates: &[Estate], communities: &[Community], companies: &[PropertyCompany]) -> ServiceResult<Vec<u8>> {
    let community_name: HashMap<&str, &str> = communities.iter().map(|c| (c.id.as_str(), c.name.as_str())).collect();
    let company_name: HashMap<&str, &str> = companies.iter().map(|c| (c.id.as_str(), c.name.as_str())).collect();
    // A BOM so that Excel, which clerks open these in, reads the file as UTF-8.
    let mut out = "\u{feff}".as_bytes().to_vec();
    {
        let mut w = csv::Writer::from_writer(&mut out);
        let header: Vec<String> = COLUMNS.iter().map(|(en, zh)| format!("{zh}({en})")).collect();
        w.write_record(&header).map_err(ServiceError::internal)?;
        for e in estates {
            let d = &e.data;
            // Text people typed is neutralised; numbers and labels are ours.
            w.write_record([
                neutralised(&d.name),
                neutralised(community_name.get(d.community_id.as_str()).copied().unwrap_or_default()),
                neutralised(&d.address),
                d.planned_floor_area_m2.to_string(),
                d.built_floor_area_m2.to_string(),
                d.designed_households.to_string(),
                d.occupied_households.to_string(),
                d.residents.to_string(),
                yes_no(d.is_old_estate).to_owned(),
                d.management_mode.label_zh().to_owned(),
                neutralised(
                    d.property_company_id.as_deref().and_then(|id| company_name.get(id).copied()).unwrap_or_default(),
                ),
                d.owners_committee.label_zh().to_owned(),
                d.target.label_zh().to_owned(),
                d.security.guards.to_string(),
                d.security.cameras.to_string(),
                yes_no(d.security.access_control).to_owned(),
                yes_no(d.security.fences_and_gates).to_owned(),
            ])
            .map_err(ServiceError::internal)?;
        }
        w.flush().map_err(ServiceError::internal)?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_export_as_text_and_import_back_unchanged() {
        for (typed, cell) in [
            ("=HYPERLINK(\"http://x\",\"点我\")", "'=HYPERLINK(\"http://x\",\"点我\")"),
            ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
            ("-1+2", "'-1+2"),
            ("＝1+1", "'＝1+1"),
            ("阳光花园", "阳光花园"),
            ("'引号开头", "'引号开头"),
        ] {
            assert_eq!(neutralised(typed), cell);
            assert_eq!(restored(&neutralised(typed)), typed);
        }
    }

    #[test]
    fn headers_in_either_language() {
        assert_eq!(field_for_header("小区名称"), Some("name"));
        assert_eq!(field_for_header("name"), Some("name"));
        assert_eq!(field_for_header("规划建筑面积(平方米)(planned_floor_area_m2)"), Some("planned_floor_area_m2"));
        assert_eq!(field_for_header("规划建筑面积(平方米)"), Some("planned_floor_area_m2"));
        assert_eq!(field_for_header("\u{feff}小区名称(name)"), Some("name"));
        assert_eq!(field_for_header("颜色"), None);
    }

    #[test]
    fn lines_are_the_same_for_crlf_and_lf_files() {
        let lf = "小区名称,所属社区,规划建筑面积(平方米),已建面积(平方米),设计户数,入住户数,入住人口\n\
                  甲,城东社区,100,50,10,5,12\n\
                  \n\
                  \"乙\n二期\",城东社区,100,50,10,5,12\n\
                  丙,城东社区,100,50,10,5,12\n";
        let crlf = lf.replace('\n', "\r\n");
        for text in [lf.to_owned(), crlf] {
            let parsed = parse(text.as_bytes()).unwrap();
            assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
            // The blank line 3 is skipped; 乙's quoted name spans lines 4 and 5.
            assert_eq!(parsed.rows.iter().map(|r| r.line).collect::<Vec<_>>(), vec![2, 4, 6], "{text:?}");
        }
    }

    #[test]
    fn bad_values_are_reported_by_line_and_field() {
        let csv = "小区名称,所属社区,规划建筑面积(平方米),已建面积(平方米),设计户数,入住户数,入住人口\n\
                   甲,城东社区,100,50,10,5,12\n\
                   乙,城东社区,abc,50,10,5,12\n";
        let parsed = parse(csv.as_bytes()).unwrap();
        assert!(parsed.errors.is_empty());
        assert_eq!(parsed.rows.len(), 2);
        assert_eq!(parsed.rows[1].line, 3);
        let err = int(&parsed.rows[1], "planned_floor_area_m2").unwrap_err();
        assert_eq!(err.field.as_deref(), Some("planned_floor_area_m2"));
    }

    #[test]
    fn missing_required_column_is_an_error_on_line_one() {
        let parsed = parse("小区名称,所属社区\n甲,城东社区\n".as_bytes()).unwrap();
        assert!(parsed.errors.iter().any(|e| e.line == 1 && e.field == "residents"));
    }

    #[test]
    fn excel_gbk_csv_reads_like_utf8() {
        let text = "小区名称,所属社区,规划建筑面积(平方米),已建面积(平方米),设计户数,入住户数,入住人口\n\
                    阳光花园,城东社区,100,50,10,5,12\n";
        let (gbk, _, _) = encoding_rs::GBK.encode(text);
        assert!(std::str::from_utf8(&gbk).is_err(), "the sample really is GBK");
        let parsed = parse(&gbk).unwrap();
        assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
        assert_eq!(parsed.rows.len(), 1);
        let err = parse(&[0x81, 0x20, 0xff, 0xfe, 0x0a]).err().unwrap();
        assert_eq!(err.field.as_deref(), Some("csv"));
    }
}
