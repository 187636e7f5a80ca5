//! The State Council's published holiday schedules (国务院办公厅关于部分节假日安排的通知), built in
//! as the default of every town's calendar: each year's days off (放假) and make-up working
//! days (调休上班). A town that sets a year replaces that year's entry wholly.
//!
//! Checked against the `chinese-calendar` package's tables (PyPI, version 1.11.0). A year that
//! is not here reads as weekends off only, and the console asks the town office to enter it:
//! add the next year here once the State Council publishes it (usually in November).

use super::DayKind::{self, Holiday, MakeupWorkday};

/// (year, [(month, day, kind, name)]).
pub type YearSchedule = (i32, &'static [(u32, u32, DayKind, &'static str)]);

pub const SCHEDULES: &[YearSchedule] = &[
    (
        2025,
        &[
            (1, 1, Holiday, "元旦"),
            (1, 26, MakeupWorkday, "春节"),
            (1, 28, Holiday, "春节"),
            (1, 29, Holiday, "春节"),
            (1, 30, Holiday, "春节"),
            (1, 31, Holiday, "春节"),
            (2, 1, Holiday, "春节"),
            (2, 2, Holiday, "春节"),
            (2, 3, Holiday, "春节"),
            (2, 4, Holiday, "春节"),
            (2, 8, MakeupWorkday, "春节"),
            (4, 4, Holiday, "清明节"),
            (4, 5, Holiday, "清明节"),
            (4, 6, Holiday, "清明节"),
            (4, 27, MakeupWorkday, "劳动节"),
            (5, 1, Holiday, "劳动节"),
            (5, 2, Holiday, "劳动节"),
            (5, 3, Holiday, "劳动节"),
            (5, 4, Holiday, "劳动节"),
            (5, 5, Holiday, "劳动节"),
            (5, 31, Holiday, "端午节"),
            (6, 1, Holiday, "端午节"),
            (6, 2, Holiday, "端午节"),
            (9, 28, MakeupWorkday, "国庆节、中秋节"),
            (10, 1, Holiday, "国庆节、中秋节"),
            (10, 2, Holiday, "国庆节、中秋节"),
            (10, 3, Holiday, "国庆节、中秋节"),
            (10, 4, Holiday, "国庆节、中秋节"),
            (10, 5, Holiday, "国庆节、中秋节"),
            (10, 6, Holiday, "国庆节、中秋节"),
            (10, 7, Holiday, "国庆节、中秋节"),
            (10, 8, Holiday, "国庆节、中秋节"),
            (10, 11, MakeupWorkday, "国庆节、中秋节"),
        ],
    ),
    (
        2026,
        &[
            (1, 1, Holiday, "元旦"),
            (1, 2, Holiday, "元旦"),
            (1, 3, Holiday, "元旦"),
            (1, 4, MakeupWorkday, "元旦"),
            (2, 14, MakeupWorkday, "春节"),
            (2, 15, Holiday, "春节"),
            (2, 16, Holiday, "春节"),
            (2, 17, Holiday, "春节"),
            (2, 18, Holiday, "春节"),
            (2, 19, Holiday, "春节"),
            (2, 20, Holiday, "春节"),
            (2, 21, Holiday, "春节"),
            (2, 22, Holiday, "春节"),
            (2, 23, Holiday, "春节"),
            (2, 28, MakeupWorkday, "春节"),
            (4, 4, Holiday, "清明节"),
            (4, 5, Holiday, "清明节"),
            (4, 6, Holiday, "清明节"),
            (5, 1, Holiday, "劳动节"),
            (5, 2, Holiday, "劳动节"),
            (5, 3, Holiday, "劳动节"),
            (5, 4, Holiday, "劳动节"),
            (5, 5, Holiday, "劳动节"),
            (5, 9, MakeupWorkday, "劳动节"),
            (6, 19, Holiday, "端午节"),
            (6, 20, Holiday, "端午节"),
            (6, 21, Holiday, "端午节"),
            (9, 20, MakeupWorkday, "国庆节"),
            (9, 25, Holiday, "中秋节"),
            (9, 26, Holiday, "中秋节"),
            (9, 27, Holiday, "中秋节"),
            (10, 1, Holiday, "国庆节"),
            (10, 2, Holiday, "国庆节"),
            (10, 3, Holiday, "国庆节"),
            (10, 4, Holiday, "国庆节"),
            (10, 5, Holiday, "国庆节"),
            (10, 6, Holiday, "国庆节"),
            (10, 7, Holiday, "国庆节"),
            (10, 10, MakeupWorkday, "国庆节"),
        ],
    ),
];
